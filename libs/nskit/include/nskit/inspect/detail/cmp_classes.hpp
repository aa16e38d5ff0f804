// nskit/inspect/detail/cmp_classes.hpp — partition items into classes of
// equal ones with a three-way comparator (kcmp), by merge sort.
//
// Private to compare.cpp and group.cpp.  A merge sort that joins equal
// classes as it merges needs about N log2 K comparisons for N items in K
// classes (never more than N log2 N), and, unlike std::sort, stays within
// bounds even if the comparator is inconsistent.  The comparator can also
// drop an item that cannot be compared (process gone, fd closed, EPERM): the
// rest of the sort goes on without it.
#pragma once

#include <cstddef>
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

template <class T>
using classes = std::vector<std::vector<T>>;

namespace impl {

template <class T>
void drop_front(std::vector<T>& cls, std::vector<T>& dropped)
{
    dropped.push_back(std::move(cls.front()));
    cls.erase(cls.begin());
}

// Merge two sorted runs of distinct classes into one.
template <class T, class Cmp>
sort_status merge(classes<T>& left, classes<T>& right, classes<T>& out, Cmp& cmp, std::vector<T>& dropped)
{
    std::size_t i = 0, j = 0;
    while (i < left.size() && j < right.size()) {
        auto& l = left[i];
        auto& r = right[j];
        switch (cmp(l.front(), r.front())) {
        case answer::less: out.push_back(std::move(l)); ++i; break;
        case answer::greater: out.push_back(std::move(r)); ++j; break;
        case answer::equal:
            for (auto& x : r)
                l.push_back(std::move(x));
            out.push_back(std::move(l));
            ++i;
            ++j;
            break;
        case answer::unordered: return sort_status::unordered;
        case answer::abort: return sort_status::aborted;
        case answer::drop_first: drop_front(l, dropped); break;
        case answer::drop_second: drop_front(r, dropped); break;
        case answer::drop_both: drop_front(l, dropped); drop_front(r, dropped); break;
        }
        if (i < left.size() && left[i].empty())
            ++i;
        if (j < right.size() && right[j].empty())
            ++j;
    }
    for (; i < left.size(); ++i)
        if (!left[i].empty())
            out.push_back(std::move(left[i]));
    for (; j < right.size(); ++j)
        if (!right[j].empty())
            out.push_back(std::move(right[j]));
    return sort_status::ok;
}

} // namespace impl

// Sort `items` into classes (bottom-up merge sort).  On `unordered` or
// `abort` the partial result is meaningless and `out` is left empty; items
// the comparator dropped are appended to `dropped`.
template <class T, class Cmp>
sort_status sort_into_classes(std::vector<T> items, Cmp& cmp, classes<T>& out, std::vector<T>& dropped)
{
    out.clear();
    std::vector<classes<T>> runs;
    runs.reserve(items.size());
    for (auto& x : items)
        runs.push_back(classes<T>{std::vector<T>{std::move(x)}});
    while (runs.size() > 1) {
        std::vector<classes<T>> next;
        next.reserve(runs.size() / 2 + 1);
        for (std::size_t k = 0; k < runs.size(); k += 2) {
            if (k + 1 == runs.size()) {
                next.push_back(std::move(runs[k]));
                break;
            }
            classes<T> merged;
            merged.reserve(runs[k].size() + runs[k + 1].size());
            auto st = impl::merge(runs[k], runs[k + 1], merged, cmp, dropped);
            if (st != sort_status::ok)
                return st;
            next.push_back(std::move(merged));
        }
        runs = std::move(next);
    }
    if (!runs.empty())
        out = std::move(runs.front());
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
            switch (cmp(x, out[c].front())) {
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
                impl::drop_front(out[c], dropped);
                if (out[c].empty())
                    out.erase(out.begin() + static_cast<std::ptrdiff_t>(c));
                break; // x meets the class's next member (or the next class)
            }
        }
        if (!placed)
            out.push_back(std::vector<T>{std::move(x)});
    }
    return sort_status::ok;
}

} // namespace nskit::inspect::detail::cmp
