#include "coordinator/address_file.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace chromatune::coordinator {

std::string AdvertisedAddress(const std::string& listen_host, int port) {
  std::string host = listen_host;
  if (host.empty() || host == "0.0.0.0" || host == "::") {
    char name[256] = {0};
    gethostname(name, sizeof name - 1);
    host = name;
  }
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return host + ":" + std::to_string(port);
}

Status WriteAddressFile(const std::string& path, const std::string& address) {
  const std::string tmp = path + ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << address << "\n";
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      return IoError("--address-file " + path + ": cannot write " + tmp);
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(tmp.c_str());
    return IoError("--address-file " + path + ": " + reason);
  }
  return Status::Ok();
}

}  // namespace chromatune::coordinator
