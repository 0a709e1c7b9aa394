#!/bin/bash
# The include graph is the link graph: fails, naming file:line, when a source includes a project
# header of a library its target does not link directly, or when a folder includes a folder of a
# higher layer (or of its own layer's neighbour). Also fails on a project link nothing includes.
#   scripts/check-links.sh SOURCE_DIR LINK_MAP
# LINK_MAP is written by CMake at configure time (cmake/link_map.cmake): the layers, and for every
# library and program its folder, its sources and its direct links, as CMake itself has them.
# Which target provides a header: the one that compiles its companion .cpp (x.hpp ↔ x.cpp); a
# header without a .cpp belongs to every target that compiles a source in its folder.
set -euo pipefail
root=${1:?usage: check-links.sh SOURCE_DIR LINK_MAP}
map=${2:?usage: check-links.sh SOURCE_DIR LINK_MAP}
cd "$root"
[ -r "$map" ] || { echo "check-links: no link map $map (run cmake first)" >&2; exit 2; }

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    files=$(git ls-files -co --exclude-standard -- '*.cpp' '*.hpp')
else
    files=$(find . -path ./build -prune -o \( -name '*.cpp' -o -name '*.hpp' \) -print | sed 's|^\./||')
fi

{
    printf 'file\t%s\n' $files
    # Project includes only: "dir/name.hpp" that exists in the tree (not "x.h" of a third party).
    grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' $files |
        sed -E 's/^([^:]+):([0-9]+):[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/include\t\1\t\2\t\3/'
} | awk -F'\t' -v mapfile="$map" '
function dir(p) { return p ~ /\// ? substr(p, 1, match(p, /\/[^\/]*$/) - 1) : "." }
function stem(p) { sub(/\.(cpp|hpp)$/, "", p); return p }
# The layer folder a path lives in: the longest listed folder that prefixes it ("" if none).
function folder(p,   f, best) {
    best = ""
    for (f in rank) if (index(p, f "/") == 1 && length(f) > length(best)) best = f
    return best
}
BEGIN {
    while ((getline line < mapfile) > 0) {
        n = split(line, a, "\t")
        if (a[1] == "layer") { rank[a[3]] = a[2]; names = (a[2] in layername) ? layername[a[2]] " " a[3] : a[3]; layername[a[2]] = names }
        if (a[1] == "target") {
            t = a[2]; targets[t] = 1; home[t] = a[3]
            ns = split(a[4], s, ";")
            for (i = 1; i <= ns; i++) if (s[i] != "") { src[t, s[i]] = 1; srcdirs[t, dir(s[i])] = 1; srclist[t] = srclist[t] " " s[i] }
            nl = split(a[5], l, ";")
            for (i = 1; i <= nl; i++) if (l[i] != "") { link[t, l[i]] = 1; linklist[t] = linklist[t] " " l[i] }
        }
    }
}
$1 == "file" { exists[$2] = 1; if ($2 ~ /\.cpp$/) cpp[stem($2)] = 1; next }
$1 == "include" { if ($4 in exists) { ninc++; ifile[ninc] = $2; iline[ninc] = $3; ihdr[ninc] = $4 } ; next }
END {
    # provides[t, h]: t compiles h (a source) or its companion .cpp, or h has no .cpp and t compiles
    # a source in its folder. checks[t, f]: f is read under t (t compiles it, or f is in t'"'"'s home).
    for (f in exists) for (t in targets) {
        if ((t, f) in src) { provides[t, f] = 1; checks[t, f] = 1; continue }
        if (f !~ /\.hpp$/) continue
        if ((t, stem(f) ".cpp") in src) { provides[t, f] = 1; checks[t, f] = 1; continue }
        if (!(stem(f) in cpp) && ((t, dir(f)) in srcdirs)) {
            provides[t, f] = 1
            if (dir(f) == home[t] || index(dir(f), home[t] "/") == 1) checks[t, f] = 1
        }
    }
    bad = 0
    for (i = 1; i <= ninc; i++) {
        f = ifile[i]; h = ihdr[i]
        # Layers: a folder includes only folders of lower layers.
        ff = folder(f); hf = folder(h)
        if (ff != "" && hf != "" && ff != hf && rank[hf] >= rank[ff]) {
            printf "%s:%s: includes \"%s\": %s (layer %d: %s) may include only lower layers, and %s is layer %d (%s)\n", \
                f, iline[i], h, ff, rank[ff], layername[rank[ff]], hf, rank[hf], layername[rank[hf]]
            bad++
        }
        for (t in targets) {
            if (!((t, f) in checks)) continue
            if ((t, h) in provides) { used[t, t] = 1; continue }
            ok = 0; owners = ""
            for (u in targets) if ((u, h) in provides) {
                owners = owners (owners == "" ? "" : " or ") u
                if ((t, u) in link) { ok = 1; used[t, u] = 1 }
            }
            if (ok) continue
            if (owners == "")
                printf "%s:%s: includes \"%s\", which no library provides (its .cpp is in no target)\n", f, iline[i], h
            else
                printf "%s:%s: includes \"%s\" of %s, but %s does not link it (links:%s)\n", \
                    f, iline[i], h, owners, t, (t in linklist ? linklist[t] : " none")
            bad++
        }
    }
    # relaylab_asio is Boost.Asio compiled once: linking it is about <boost/asio/...>, not read here.
    for (t in targets) {
        nl = split(linklist[t], l, " ")
        for (i = 1; i <= nl; i++)
            if (l[i] != "relaylab_asio" && (l[i] in targets) && !((t, l[i]) in used)) {
                printf "%s: links %s but includes none of its headers (home %s)\n", t, l[i], home[t]
                bad++
            }
    }
    nt = 0; for (t in targets) nt++
    if (bad) { printf "check-links: %d problem(s) in %d targets\n", bad, nt; exit 1 }
    printf "check-links: %d project includes in %d targets match their links and layers\n", ninc, nt
}'
