/* global hexo */
'use strict';

/**
 * Beijing days whatever the build machine's time zone (issue 10, fault 3).
 *
 * A post's `date` is UTC (`Tue, 21 Dec 2021 06:56:42 GMT`, SPEC section 1), so Hexo reads the
 * right instant in any zone; but the day it shows and the day in the permalink
 * (`:year/:month/:day`) are those of the process's zone, and Sina's news is dated in Beijing.
 * Hexo's own `timezone` setting cannot do it: it re-reads every date as wall time in that zone,
 * moving a GMT date by the machine's offset (hexojs/hexo#4548), so _config.yml leaves it unset.
 * Node applies a new `TZ` at once to every later Date, and Hexo loads this file before it reads
 * any post, so `hexo generate` and `hexo server` render Beijing days on a UTC machine too.
 * `sinacrawl_timezone` in _config.yml names another zone (an IANA name).
 */
process.env.TZ = hexo.config.sinacrawl_timezone || 'Asia/Shanghai';
