// gmp/gmp.hpp: the umbrella header, everything a gmp program uses.
#pragma once

#include "gmp/atomic.hpp"
#include "gmp/chan.hpp"
#include "gmp/fuzz.hpp"
#include "gmp/local.hpp"
#include "gmp/names.hpp"
#include "gmp/net.hpp"
#include "gmp/panic.hpp"
#include "gmp/race.hpp"
#include "gmp/runtime.hpp"
#include "gmp/select.hpp"
#include "gmp/stats.hpp"
#include "gmp/sync.hpp"
#include "gmp/time.hpp"
