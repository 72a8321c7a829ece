-- GET one path (the petition page, the JSON count): only counts statuses.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
require "common"
