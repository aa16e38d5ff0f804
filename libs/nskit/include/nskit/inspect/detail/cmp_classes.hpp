// nskit/inspect/detail/cmp_classes.hpp — partition items into classes of
// equal ones with a three-way comparator (kcmp), by merge sort.
//
// Private to compare.cpp and group.cpp.  A merge sort that joins equal
// classes as it merges needs about N log2 K comparisons for N items in K
// classes (never more than N log2 N), and, unlike std::sort, stays within
// bounds even if the comparator is inconsistent.  The comparator can also
// drop an item that cannot be compared (process gone, fd closed, EPERM): the
// rest of the sort goes on without it.  Classes are linked lists threaded
// through index arrays, so merging allocates nothing.
#pragma once

#include <nskit/sys/kcmp.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace nskit::inspect::detail::cmp {

enum class answer {
    less,
    equal,
    greater,
    unordered,   // kcmp 3: different, but no order: sorting cannot work
    drop_first,  // the first item cannot be compared: leave it out
    drop_second,
    drop_both,
    abort,       // nothing more can be compared (ENOSYS, EPERM on the caller ...)
};

enum class sort_status { ok, unordered, aborted };

inline answer from_order(sys::kcmp_order o) noexcept
{
    switch (o) {
    case sys::kcmp_order::equal: return answer::equal;
    case sys::kcmp_order::less: return answer::less;
    case sys::kcmp_order::greater: return answer::greater;
    case sys::kcmp_order::unordered: break;
    }
    return answer::unordered;
}

template <class T>
using classes = std::vector<std::vector<T>>;

namespace impl {

constexpr std::size_t none = static_cast<std::size_t>(-1);

// Members of each class as a singly linked list: head -> next -> ... -> none.
struct class_lists {
    std::vector<std::size_t> next, tail;
    explicit class_lists(std::size_t n) : next(n, none), tail(n)
    {
        for (std::size_t i = 0; i < n; ++i)
            tail[i] = i;
    }
    void join(std::size_t head, std::size_t other) // append class `other` to class `head`
    {
        next[tail[head]] = other;
        tail[head] = tail[other];
    }
    std::size_t pop(std::size_t head) // drop the head; returns the new head or none
    {
        const std::size_t h = next[head];
        if (h != none)
            tail[h] = tail[head];
        return h;
    }
};

template <class T>
classes<T> collect(std::vector<T>& items, const class_lists& l, const std::vector<std::size_t>& heads)
{
    classes<T> out;
    out.reserve(heads.size());
    for (auto h : heads) {
        std::vector<T> c;
        for (std::size_t i = h; i != none; i = l.next[i])
            c.push_back(std::move(items[i]));
        out.push_back(std::move(c));
    }
    return out;
}

} // namespace impl

// Sort `items` into classes (bottom-up merge sort); the classes come out in
// the comparator's order.  On `unordered` or `abort` the partial result is
// meaningless and `out` is left empty; items the comparator dropped are
// appended to `dropped`.
template <class T, class Cmp>
sort_status sort_into_classes(std::vector<T> items, Cmp& cmp, classes<T>& out, std::vector<T>& dropped)
{
    using impl::none;
    out.clear();
    const std::size_t n = items.size();
    impl::class_lists lists(n);
    // heads of the classes of each run, runs back to back; run r is [bound[r], bound[r+1])
    std::vector<std::size_t> heads(n), bound(n + 1), merged;
    merged.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
        heads[i] = bound[i] = i;
    bound[n] = n;
    auto drop = [&](std::size_t& head) {
        dropped.push_back(std::move(items[head]));
        head = lists.pop(head);
    };
    while (bound.size() > 2) {
        merged.clear();
        std::vector<std::size_t> next_bound{0};
        for (std::size_t r = 0; r + 1 < bound.size(); r += 2) {
            if (r + 2 >= bound.size()) { // odd run out: carried over
                for (std::size_t k = bound[r]; k < bound[r + 1]; ++k)
                    merged.push_back(heads[k]);
                next_bound.push_back(merged.size());
                break;
            }
            std::size_t i = bound[r], ie = bound[r + 1], j = bound[r + 1], je = bound[r + 2];
            while (i < ie && j < je) {
                std::size_t& x = heads[i];
                std::size_t& y = heads[j];
                switch (cmp(items[x], items[y])) {
                case answer::less: merged.push_back(x); ++i; break;
                case answer::greater: merged.push_back(y); ++j; break;
                case answer::equal:
                    lists.join(x, y);
                    merged.push_back(x);
                    ++i;
                    ++j;
                    break;
                case answer::unordered: return sort_status::unordered;
                case answer::abort: return sort_status::aborted;
                case answer::drop_first: drop(x); break;
                case answer::drop_second: drop(y); break;
                case answer::drop_both: drop(x); drop(y); break;
                }
                if (i < ie && heads[i] == none)
                    ++i;
                if (j < je && heads[j] == none)
                    ++j;
            }
            for (; i < ie; ++i)
                if (heads[i] != none)
                    merged.push_back(heads[i]);
            for (; j < je; ++j)
                if (heads[j] != none)
                    merged.push_back(heads[j]);
            next_bound.push_back(merged.size());
        }
        heads.swap(merged);
        bound.swap(next_bound);
    }
    heads.resize(bound.back());
    out = impl::collect(items, lists, heads);
    return sort_status::ok;
}

// The fallback when kcmp cannot order: compare each item with one member
// of every class found so far (N*K comparisons).  `unordered` means "not equal".
template <class T, class Cmp>
sort_status pairwise_classes(std::vector<T> items, Cmp& cmp, classes<T>& out, std::vector<T>& dropped)
{
    out.clear();
    for (auto& x : items) {
        bool placed = false;
        for (std::size_t c = 0; c < out.size() && !placed;) {
            // x is moved from only where placed becomes true, which ends this loop
            switch (cmp(x, out[c].front())) { // NOLINT(bugprone-use-after-move)
            case answer::equal:
                out[c].push_back(std::move(x));
                placed = true;
                break;
            case answer::less:
            case answer::greater:
            case answer::unordered: ++c; break;
            case answer::abort: out.clear(); return sort_status::aborted;
            case answer::drop_first: dropped.push_back(std::move(x)); placed = true; break;
            case answer::drop_both:
                dropped.push_back(std::move(x));
                placed = true;
                [[fallthrough]];
            case answer::drop_second:
                dropped.push_back(std::move(out[c].front()));
                out[c].erase(out[c].begin());
                if (out[c].empty())
                    out.erase(out.begin() + static_cast<std::ptrdiff_t>(c));
                break; // x meets the class's next member (or the next class)
            }
        }
        if (!placed) // not moved from: see above
            out.push_back(std::vector<T>{std::move(x)}); // NOLINT(bugprone-use-after-move)
    }
    return sort_status::ok;
}

// In classes sorted by sort_into_classes, find the one whose members equal
// the probe: `probe(member)` answers how member compares to the sought
// object (less: member is before it).  Returns the index, or nullopt-like
// `none` when absent; `failed` is set when probe answered drop/abort/unordered.
template <class T, class Probe>
std::size_t binary_find(const classes<T>& sorted, Probe& probe, bool& failed)
{
    failed = false;
    std::size_t lo = 0, hi = sorted.size();
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        switch (probe(sorted[mid].front())) {
        case answer::equal: return mid;
        case answer::less: lo = mid + 1; break;
        case answer::greater: hi = mid; break;
        default: failed = true; return impl::none;
        }
    }
    return impl::none;
}

// ---- the fd pipeline shared by compare() and group_files() ----

// An fd keyed for pre-grouping by what it refers to: dev + ino (stat), the
// readlink text, or nothing (all zero: one group).  `owner`: its process.
template <class T>
struct keyed_fd {
    std::uint64_t dev = 0, ino = 0;
    std::string text;
    std::size_t owner = 0;
    T item;
};

// Groups `all` by key (stable: equal keys keep their order) and sorts every
// group that holds fds of two or more owners into classes of one open file
// description with `cmp` (KCMP_FILE); when kcmp answers "unordered" that
// group is partitioned pairwise instead and *fallback is set.  Each group's
// classes go to on_group.  aborted: cmp could not go on (its failure says why).
template <class T, class Cmp, class F>
sort_status classes_by_key(std::vector<keyed_fd<T>>& all, Cmp& cmp, bool& fallback, F&& on_group)
{
    std::stable_sort(all.begin(), all.end(), [](const keyed_fd<T>& x, const keyed_fd<T>& y) {
        return std::tie(x.dev, x.ino, x.text) < std::tie(y.dev, y.ino, y.text);
    });
    for (std::size_t i = 0; i < all.size();) {
        std::size_t j = i;
        bool several = false;
        for (; j < all.size() && all[j].dev == all[i].dev && all[j].ino == all[i].ino && all[j].text == all[i].text; ++j)
            several = several || all[j].owner != all[i].owner;
        if (several) {
            std::vector<T> group;
            for (std::size_t k = i; k < j; ++k)
                group.push_back(all[k].item);
            classes<T> found;
            std::vector<T> dropped;
            auto st = sort_into_classes(group, cmp, found, dropped);
            if (st == sort_status::unordered) {
                fallback = true;
                dropped.clear();
                st = pairwise_classes(group, cmp, found, dropped);
            }
            if (st == sort_status::aborted)
                return st;
            on_group(std::move(found));
        }
        i = j;
    }
    return sort_status::ok;
}

} // namespace nskit::inspect::detail::cmp
