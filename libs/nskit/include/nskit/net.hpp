// nskit/net.hpp — the network layer: links, veth, addresses, routes, recipes.
#pragma once
#include <nskit/net/address.hpp>
#include <nskit/net/loopback.hpp>
#include <nskit/net/netlink.hpp>
#include <nskit/net/recipes.hpp>
