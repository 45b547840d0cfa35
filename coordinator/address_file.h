// The address a coordinator announces to workers started elsewhere (`chromatune coordinator
// --address-file F`, which a Slurm coordinator job's worker jobs wait for): "HOST:PORT" with
// a host that other machines can reach.
#pragma once

#include <string>

#include "common/status.h"

namespace chromatune::coordinator {

// "HOST:PORT" for clients of a server listening on `listen_host`:`port`. A wildcard listen
// host (0.0.0.0, ::, empty) becomes this machine's hostname; an IPv6 literal is bracketed.
std::string AdvertisedAddress(const std::string& listen_host, int port);

// Writes "ADDRESS\n" to `path` through a temporary file renamed over it, so a reader sees
// the whole address or no file. kIoError naming the path.
Status WriteAddressFile(const std::string& path, const std::string& address);

}  // namespace chromatune::coordinator
