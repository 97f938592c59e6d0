// names.cpp: see names.hpp.
#include "names.hpp"

#include <unordered_map>
#include <unordered_set>

#include "g.hpp"
#include "gmp/names.hpp"
#include "platform.hpp"
#include "sched.hpp"

namespace gmp::detail {

std::atomic<std::uint32_t> object_names_version{0};

namespace {

struct name_tables {
  spinlock lock;
  std::unordered_set<std::string> interned GMP_GUARDED_BY(lock);
  std::unordered_map<const void*, const char*> objects GMP_GUARDED_BY(lock);
};

name_tables& tables() {
  static immortal<name_tables> t;
  return t.value;
}

}  // namespace

const char* intern_name(std::string_view name) {
  name_tables& t = tables();
  spin_guard hold(t.lock);
  return t.interned.emplace(name).first->c_str();
}

const char* object_name(const void* object) {
  name_tables& t = tables();
  spin_guard hold(t.lock);
  auto it = t.objects.find(object);
  return it == t.objects.end() ? nullptr : it->second;
}

void forget_object_name(const void* object) noexcept {
  name_tables& t = tables();
  spin_guard hold(t.lock);
  t.objects.erase(object);
}

void name_object(const void* object, std::string_view name) {
  const char* interned = intern_name(name);
  name_tables& t = tables();
  spin_guard hold(t.lock);
  object_names_version.fetch_add(1, std::memory_order_relaxed);
  if (name.empty()) {
    t.objects.erase(object);
  } else {
    t.objects[object] = interned;
  }
}

}  // namespace gmp::detail

namespace gmp {

void set_goroutine_name(std::string_view name) {
  detail::g* gp = detail::this_g();
  if (gp == nullptr) return;
  gp->name.store(name.empty() ? nullptr : detail::intern_name(name), std::memory_order_relaxed);
}

}  // namespace gmp
