// race_symbolize.cpp: libdw symbolization and frame trimming (see race_symbolize.hpp).
//
// The inline expansion follows eu-addr2line -i: the innermost scope containing
// the pc (dwarf_getscopes), then its DIE-tree parents (dwarf_getscopes_die),
// innermost first; each DW_TAG_inlined_subroutine
// is one frame, named after its abstract origin, positioned at the line
// table's line (innermost) or at the call site recorded by the inlined scope
// just inside it; the first DW_TAG_subprogram is the physical frame.
#include "race_symbolize.hpp"

#include <cxxabi.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <iterator>
#include <unordered_map>

namespace gmp::race {
namespace {

class symbolizer {
 public:
  ~symbolizer() {
    if (dwfl_ != nullptr) dwfl_end(dwfl_);
  }

  const std::vector<frame>& frames_of(std::uintptr_t pc) {
    auto it = cache_.find(pc);
    if (it != cache_.end()) return it->second;
    return cache_.emplace(pc, resolve(pc)).first->second;
  }

 private:
  bool report() {
    if (dwfl_ == nullptr) {
      callbacks_.find_elf = dwfl_linux_proc_find_elf;
      callbacks_.find_debuginfo = dwfl_standard_find_debuginfo;
      callbacks_.section_address = nullptr;
      callbacks_.debuginfo_path = nullptr;
      dwfl_ = dwfl_begin(&callbacks_);
      if (dwfl_ == nullptr) return false;
    }
    dwfl_report_begin(dwfl_);
    int rc = dwfl_linux_proc_report(dwfl_, getpid());
    dwfl_report_end(dwfl_, nullptr, nullptr);
    return rc == 0;
  }

  Dwfl_Module* module_of(Dwarf_Addr addr) {
    if (dwfl_ == nullptr && !report()) return nullptr;
    Dwfl_Module* m = dwfl_addrmodule(dwfl_, addr);
    // A library loaded since the last look: read the maps again (at most once a pc: results are cached).
    if (m == nullptr && report()) m = dwfl_addrmodule(dwfl_, addr);
    return m;
  }

  static std::string demangle(const char* raw) {
    if (raw == nullptr) return "??";
    std::string unversioned(raw);  // an ELF symbol may carry its version: __libc_start_main@@GLIBC_2.34
    if (std::size_t at = unversioned.find('@'); at != std::string::npos && at > 0) unversioned.resize(at);
    const char* name = unversioned.c_str();
    int status = 0;
    char* d = abi::__cxa_demangle(name, nullptr, nullptr, &status);
    if (status == 0 && d != nullptr) {
      std::string s(d);
      std::free(d);
      return s;
    }
    std::free(d);
    return name;
  }

  // The declaration a concrete or inlined instance refers to (through abstract_origin, then specification).
  static Dwarf_Die declaration(Dwarf_Die* die) {
    Dwarf_Die cur = *die;
    for (int hops = 0; hops < 4; ++hops) {
      Dwarf_Attribute attr;
      Dwarf_Die next;
      if (dwarf_attr(&cur, DW_AT_abstract_origin, &attr) == nullptr &&
          dwarf_attr(&cur, DW_AT_specification, &attr) == nullptr) {
        break;
      }
      if (dwarf_formref_die(&attr, &next) == nullptr) break;
      cur = next;
    }
    return cur;
  }

  // A function's name: its linkage name demangled; without one (GCC omits it for functions with
  // internal linkage), the enclosing namespaces and classes of its declaration joined with "::",
  // up to an enclosing function (a local class, a lambda), named the same way.
  static std::string die_name(Dwarf_Die* die, int depth = 0) {
    Dwarf_Attribute attr;
    for (int at : {DW_AT_linkage_name, DW_AT_MIPS_linkage_name}) {
      if (dwarf_attr_integrate(die, at, &attr) != nullptr) {
        const char* s = dwarf_formstring(&attr);
        if (s == nullptr) continue;
        std::string d = demangle(s);
        if (d != s) return d;  // else a mangling this demangler cannot read (clang's): build the name below
      }
    }
    const char* base = nullptr;
    if (dwarf_attr_integrate(die, DW_AT_name, &attr) != nullptr) base = dwarf_formstring(&attr);
    if (base == nullptr) return "??";
    Dwarf_Die decl = declaration(die);
    Dwarf_Die* scopes = nullptr;
    int n = dwarf_getscopes_die(&decl, &scopes);
    std::string prefix;  // built innermost first
    for (int i = 1; i < n; ++i) {  // scopes[0] is decl itself
      int tag = dwarf_tag(&scopes[i]);
      const char* part = dwarf_diename(&scopes[i]);
      std::string piece;
      if (tag == DW_TAG_namespace) {
        piece = part != nullptr ? part : "(anonymous namespace)";
      } else if (tag == DW_TAG_class_type || tag == DW_TAG_structure_type || tag == DW_TAG_union_type) {
        // A closure type has no name: its operator() is a lambda's body.
        const char* inner = i == 1 ? base : dwarf_diename(&scopes[i - 1]);
        bool closure = inner != nullptr && std::strcmp(inner, "operator()") == 0;
        piece = part != nullptr ? part : closure ? "{lambda}" : "{unnamed type}";
      } else if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine) {
        // The enclosing function, qualified by its own name (which carries its namespaces).
        piece = depth < 4 ? die_name(&scopes[i], depth + 1) : (part != nullptr ? part : "??");
        prefix = piece + "::" + prefix;
        break;
      } else {
        continue;  // lexical blocks, the CU
      }
      prefix = piece + "::" + prefix;
    }
    std::free(scopes);
    return prefix + base + "()";  // no parameter list in the DWARF name: Go's "f()" form
  }

  static std::string absolute(const char* file, Dwarf_Die* cu) {
    if (file == nullptr) return "??";
    if (file[0] == '/' || cu == nullptr) return file;
    Dwarf_Attribute attr;
    const char* dir = dwarf_attr(cu, DW_AT_comp_dir, &attr) != nullptr ? dwarf_formstring(&attr) : nullptr;
    if (dir == nullptr) return file;
    return std::string(dir) + "/" + file;
  }

  // The compile unit containing addr. libdw (before 0.189) finds it only through .debug_aranges, which
  // clang does not emit: without them, an index of every CU's address ranges, built once per module.
  Dwarf_Die* find_cu(Dwfl_Module* mod, Dwarf_Addr addr, Dwarf_Addr* bias, Dwarf_Die* mem) {
    if (Dwarf_Die* d = dwfl_module_addrdie(mod, addr, bias); d != nullptr) return d;
    Dwarf* dw = dwfl_module_getdwarf(mod, bias);
    if (dw == nullptr) return nullptr;
    auto [it, fresh] = cu_index_.try_emplace(mod);
    std::vector<cu_range>& idx = it->second;
    if (fresh) {
      Dwarf_Off off = 0, next = 0;
      std::size_t header = 0;
      while (dwarf_nextcu(dw, off, &next, &header, nullptr, nullptr, nullptr) == 0) {
        Dwarf_Die cu;
        if (dwarf_offdie(dw, off + header, &cu) != nullptr) {
          Dwarf_Addr base = 0, lo = 0, hi = 0;
          for (std::ptrdiff_t o = 0; (o = dwarf_ranges(&cu, o, &base, &lo, &hi)) > 0;) {
            idx.push_back(cu_range{lo, hi, off + header});
          }
        }
        off = next;
      }
      std::sort(idx.begin(), idx.end(), [](const cu_range& a, const cu_range& b) { return a.lo < b.lo; });
    }
    Dwarf_Addr a = addr - *bias;
    auto r = std::upper_bound(idx.begin(), idx.end(), a, [](Dwarf_Addr v, const cu_range& c) { return v < c.lo; });
    if (r == idx.begin() || a >= std::prev(r)->hi) return nullptr;
    return dwarf_offdie(dw, std::prev(r)->cu_off, mem);
  }

  // The scopes (functions, inlined calls, blocks) containing pc below parent, outermost first.
  static bool scope_chain(Dwarf_Die* parent, Dwarf_Addr pc, std::vector<Dwarf_Die>& chain, int depth) {
    Dwarf_Die child;
    if (depth > 256 || dwarf_child(parent, &child) != 0) return false;
    do {
      int tag = dwarf_tag(&child);
      if (tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine || tag == DW_TAG_lexical_block) {
        if (dwarf_haspc(&child, pc) == 1) {
          chain.push_back(child);
          scope_chain(&child, pc, chain, depth + 1);
          return true;
        }
      } else if (tag == DW_TAG_namespace || tag == DW_TAG_class_type || tag == DW_TAG_structure_type ||
                 tag == DW_TAG_union_type) {
        if (scope_chain(&child, pc, chain, depth + 1)) return true;
      }
    } while (dwarf_siblingof(&child, &child) == 0);
    return false;
  }

  std::vector<frame> resolve(std::uintptr_t pc) {
    std::vector<frame> out;
    Dwarf_Addr addr = pc > 0 ? pc - 1 : 0;  // a return address: the call is just before it
    Dwfl_Module* mod = module_of(addr);
    if (mod == nullptr) {
      out.push_back(frame{"??", "??", 0, pc, 0});
      return out;
    }
    GElf_Off off = 0;
    GElf_Sym sym;
    const char* symname = dwfl_module_addrinfo(mod, addr, &off, &sym, nullptr, nullptr, nullptr);
    std::uintptr_t offset = symname != nullptr ? off + 1 : 0;
    std::string file = "??";
    int line = 0;
    Dwarf_Addr bias = 0;
    Dwarf_Die cu_mem;
    Dwarf_Die* cu = find_cu(mod, addr, &bias, &cu_mem);
    auto line_of = [&](Dwarf_Addr a) {
      if (Dwfl_Line* l = dwfl_module_getsrc(mod, a); l != nullptr) {
        int lineno = 0;
        const char* f = dwfl_lineinfo(l, nullptr, &lineno, nullptr, nullptr, nullptr);
        file = absolute(f, cu);
        line = lineno;
      } else if (cu != nullptr) {
        if (Dwarf_Line* dl = dwarf_getsrc_die(cu, a - bias); dl != nullptr) {
          int lineno = 0;
          dwarf_lineno(dl, &lineno);
          file = absolute(dwarf_linesrc(dl, nullptr, nullptr), cu);
          line = lineno;
        }
      }
    };
    line_of(addr);
    if (line == 0 && cu != nullptr) {
      // Line 0: code the compiler attributes to no line (clang, optimizing, in sanitizer
      // builds); the nearest line before it in the unit's own file (not in code inlined from
      // a header) is the statement it belongs to.
      const std::string own = absolute(dwarf_diename(cu), cu);
      const std::string none = file;
      for (Dwarf_Addr back = 1; back <= 512 && back <= addr; back++) {
        line_of(addr - back);
        if (line != 0 && file == own) break;
      }
      if (line == 0 || file != own) {
        file = none;
        line = 0;
      }
    }
    if (cu != nullptr) {
      // dwarf_getscopes continues past an inlined call into the inlined function's own (abstract)
      // scopes; the DIE-tree parents of the innermost scope are the calls as compiled.
      // libdw 0.188 finds no scope in clang's DWARF 5 (DW_FORM_addrx): then walk the CU's tree.
      Dwarf_Die* scopes = nullptr;
      Dwarf_Die* pc_scopes = nullptr;
      std::vector<Dwarf_Die> walked;
      int n = dwarf_getscopes(cu, addr - bias, &pc_scopes);
      if (n > 0) {
        Dwarf_Die innermost = pc_scopes[0];
        n = dwarf_getscopes_die(&innermost, &scopes);
      } else if (scope_chain(cu, addr - bias, walked, 0)) {
        n = static_cast<int>(walked.size());
        scopes = static_cast<Dwarf_Die*>(std::malloc(walked.size() * sizeof(Dwarf_Die)));
        if (scopes == nullptr) n = 0;
        for (int i = 0; i < n; ++i) scopes[i] = walked[walked.size() - 1 - static_cast<std::size_t>(i)];
      }
      std::free(pc_scopes);
      Dwarf_Files* files = nullptr;
      std::size_t nfiles = 0;
      if (dwarf_getsrcfiles(cu, &files, &nfiles) != 0) files = nullptr;
      for (int i = 0; i < n; ++i) {
        int tag = dwarf_tag(&scopes[i]);
        if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram) continue;
        if (tag == DW_TAG_subprogram) {
          // The physical function: the ELF symbol names it exactly (parameters included), when there is one.
          out.push_back(frame{symname != nullptr ? demangle(symname) : die_name(&scopes[i]), file, line, pc, offset});
          break;
        }
        out.push_back(frame{die_name(&scopes[i]), file, line, pc, offset});
        // The next (outer) frame is where this inlined call was made.
        Dwarf_Attribute attr;
        Dwarf_Word cf = 0, cl = 0;
        if (dwarf_attr(&scopes[i], DW_AT_call_file, &attr) != nullptr && dwarf_formudata(&attr, &cf) == 0 &&
            files != nullptr && cf < nfiles) {
          file = absolute(dwarf_filesrc(files, cf, nullptr, nullptr), cu);
        }
        if (dwarf_attr(&scopes[i], DW_AT_call_line, &attr) != nullptr && dwarf_formudata(&attr, &cl) == 0) {
          line = static_cast<int>(cl);
        }
      }
      std::free(scopes);
    }
    if (out.empty()) out.push_back(frame{demangle(symname), file, line, pc, offset});
    return out;
  }

  Dwfl_Callbacks callbacks_{};
  Dwfl* dwfl_ = nullptr;
  std::unordered_map<std::uintptr_t, std::vector<frame>> cache_;
  struct cu_range {
    Dwarf_Addr lo, hi;
    Dwarf_Off cu_off;
  };
  std::unordered_map<Dwfl_Module*, std::vector<cu_range>> cu_index_;
};

symbolizer& the_symbolizer() {
  static symbolizer* s = new symbolizer;  // never destroyed: reports may run during exit
  return *s;
}

// Whether name has token (a namespace prefix like "gmp::") at template depth 0, at the start of a word.
bool has_top_level_prefix(std::string_view name, std::string_view token) noexcept {
  int depth = 0;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '<' || c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if (c == '>' || c == ')' || c == ']' || c == '}') {
      if (depth > 0) --depth;
    } else if (depth == 0 && (i == 0 || name[i - 1] == ' ') && name.substr(i, token.size()) == token) {
      return true;
    }
  }
  return false;
}

bool starts_with(std::string_view s, std::string_view p) noexcept { return s.substr(0, p.size()) == p; }

bool is_entry_machinery(std::string_view f) noexcept {
  if (is_runtime_function(f) || f == "??") return true;
  if (has_top_level_prefix(f, "std::")) return true;
  if (starts_with(f, "__libc_start")) return true;
  for (std::string_view p : {"_start", "start_thread", "clone", "clone3", "__clone", "__clone3", "__clone_internal"}) {
    if (f == p) return true;
  }
  return false;
}

}  // namespace

bool is_runtime_function(std::string_view f) noexcept {
  if (has_top_level_prefix(f, "gmp::") || has_top_level_prefix(f, "boost::context::")) return true;
  for (std::string_view p : {"gmp_", "make_fcontext", "jump_fcontext", "ontop_fcontext", "unw_backtrace", "_ULx86_64_",
                             "_Unwind_Backtrace"}) {
    if (starts_with(f, p)) return true;
  }
  return false;
}

std::vector<frame> symbolize(std::span<const std::uintptr_t> pcs) {
  static std::mutex serial;  // the race reporter and the deadlock detector both symbolize
  std::lock_guard<std::mutex> hold(serial);
  std::vector<frame> out;
  symbolizer& s = the_symbolizer();
  for (std::uintptr_t pc : pcs) {
    const std::vector<frame>& fs = s.frames_of(pc);
    out.insert(out.end(), fs.begin(), fs.end());
  }
  return out;
}

std::vector<frame> trim(std::vector<frame> frames) {
  std::size_t b = 0, e = frames.size();
  while (b < e && is_runtime_function(frames[b].function)) ++b;
  while (e > b && is_entry_machinery(frames[e - 1].function)) --e;
  if (b == e) return frames;
  return std::vector<frame>(frames.begin() + static_cast<std::ptrdiff_t>(b),
                            frames.begin() + static_cast<std::ptrdiff_t>(e));
}

}  // namespace gmp::race
