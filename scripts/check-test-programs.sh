#!/usr/bin/env bash
# Guard: every external program the tests run is installed by ./dev.sh.
#
# A test says what it runs and which Debian package provides it:
#   C++:   require_program("dig", "bind9-dnsutils");  require_perl_module("Sisimai", "libsisimai-perl");
#   shell: require_program swaks swaks   (scripts that CTest runs define this function)
# This script
#   1. finds every program the tests start (run_command({"prog", …}), argv{"prog", …}, the path
#      constants of tests/support, and the require_program lines of the scripts CTest runs),
#   2. fails when one of them is run without a require_program naming its package,
#   3. fails when a named package is not in `./dev.sh packages test`,
#   4. where the program is installed, fails when dpkg says another package owns it (and the named
#      package does not depend on that one): a wrong package name would otherwise pass here and
#      fail on a fresh machine.
# Each failure names the program, the package and the file:line. Exit 0 when all is well, 1 if not.
#
#   scripts/check-test-programs.sh [ROOT]
set -euo pipefail
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
cd "$root"

fail=0
g() { grep "$@" || true; }  # no match is not an error here
problem() { echo "check-test-programs: $*" >&2; fail=1; }

mapfile -t packages < <(./dev.sh packages test)
installs() { local p; for p in "${packages[@]}"; do [[ $p == "$1" ]] && return 0; done; return 1; }

sources=$(find tests -name '*.cpp' -o -name '*.hpp' | grep -v '^tests/diagnosis/corpus/' | sort)
# The scripts CTest runs: COMMAND ${PROJECT_SOURCE_DIR}/scripts/NAME in a tests/ CMakeLists.
scripts=$(g -rhoE 'COMMAND \$\{PROJECT_SOURCE_DIR\}/scripts/[A-Za-z0-9._-]+' --include=CMakeLists.txt tests |
          sed 's|.*/scripts/|scripts/|' | sort -u)

# program|package|file:line for every declaration.
declare -A declared=()   # program -> package
declarations=$(
  { g -nHoE 'require_program\("[^"]+", *"[^"]+"\)' $sources |
      sed -E 's/^([^:]+:[0-9]+):require_program\("([^"]+)", *"([^"]+)"\)/\2|\3|\1/'
    g -nHoE 'require_program\([A-Za-z_]+, *"[^"]+"\)' $sources |
      sed -E 's/^([^:]+:[0-9]+):require_program\(([A-Za-z_]+), *"([^"]+)"\)/\2|\3|\1/'
    g -nHoE 'require_perl_module\("[^"]+", *"[^"]+"\)' $sources |
      sed -E 's/^([^:]+:[0-9]+):require_perl_module\("([^"]+)", *"([^"]+)"\)/perl:\2|\3|\1/'
    for s in $scripts; do
      g -nHE '^[[:space:]]*require_program [^ ]+ [^ ]+' "$s" |
        sed -E 's/^([^:]+:[0-9]+):[[:space:]]*require_program ([^ ]+) ([^ ]+).*/\2|\3|\1/'
    done
  } | sort -u)
# Named constants (constexpr const char* kUnbound = "/usr/sbin/unbound") resolve to their value.
constants=$(g -hoE 'constexpr const char\* *[A-Za-z_]+ *= *"[^"]+"' $sources |
            sed -E 's/.*\* *([A-Za-z_]+) *= *"([^"]+)"/\1|\2/' | sort -u)
resolve() {
  local v
  v=$(awk -F'|' -v n="$1" '$1 == n { print $2 }' <<<"$constants" | head -1)
  [[ -n $v ]] && echo "$v" || echo "$1"
}

while IFS='|' read -r prog pkg where; do
  [[ -z $prog ]] && continue
  prog=$(resolve "$prog")
  if [[ -n ${declared[$prog]:-} && ${declared[$prog]} != "$pkg" ]]; then
    problem "$where: $prog is said to come from $pkg, elsewhere from ${declared[$prog]}"
  fi
  declared[$prog]=$pkg
  if ! installs "$pkg"; then
    problem "$where: the tests run $prog (Debian package $pkg), but ./dev.sh test does not install $pkg: add it to TEST_PACKAGES in dev.sh"
  fi
  [[ $prog == perl:* ]] && continue
  # Where the program is installed, dpkg must agree on its package.
  path=$prog
  if [[ $path != /* ]]; then
    path=""
    for d in /usr/bin /usr/sbin /bin /sbin; do [[ -x $d/$prog ]] && { path=$d/$prog; break; }; done
  fi
  [[ -n $path && -e $path ]] || continue
  owner=$(dpkg-query -S "$path" 2>/dev/null | grep -v '^diversion' | head -1 | cut -d: -f1) || true
  [[ -z $owner || $owner == "$pkg" || $owner == *", "* ]] && continue
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    deps=$(dpkg-query -W -f='${Depends}, ${Pre-Depends}' "$pkg" 2>/dev/null | tr ',|' '\n\n' | awk '{print $1}')
    grep -qx "$owner" <<<"$deps" ||
      problem "$where: $path belongs to the Debian package $owner, not $pkg"
  fi
done <<<"$declarations"

# Every program a test starts must be declared somewhere.
runs=$(
  g -nHoE '(run_command\(\{|argv\{|ChildProcess\(\{|ChildProcess\(std::vector<std::string>\{|make_unique<ChildProcess>\(std::vector<std::string>\{)"[^"]+"' $sources |
    sed -E 's/^([^:]+:[0-9]+):.*"([^"]+)"$/\2|\1/'
  g -nHoE '(run_command\(\{|argv\{|ChildProcess>\(std::vector<std::string>\{)[A-Za-z_]+[,}]' $sources |
    sed -E 's/^([^:]+:[0-9]+):.*[{]([A-Za-z_]+)[,}]$/\2|\1/' |
    while IFS='|' read -r name where; do
      v=$(resolve "$name"); [[ $v != "$name" ]] && echo "$v|$where"
    done)
while IFS='|' read -r prog where; do
  [[ -z $prog ]] && continue
  case $prog in
    perl) ;;  # checked through require_perl_module (perl comes with every Debian system)
    *) [[ -n ${declared[$prog]:-} ]] ||
         problem "$where: the tests run $prog, but no require_program(\"$prog\", \"PACKAGE\") names its Debian package" ;;
  esac
done <<<"$runs"

# perl -M… is run through require_perl_module, and perl itself must be known.
if grep -qE 'run_command\(\{"perl"' $sources && [[ -z $(grep '^perl:' <<<"$declarations") ]]; then
  problem "the tests run perl modules, but no require_perl_module names one"
fi

if [[ $fail -eq 0 ]]; then
  echo "check-test-programs: ${#declared[@]} programs and modules, each installed by ./dev.sh test"
fi
exit $fail
