#include "ops/routed_communicator.h"

#include <stdexcept>

namespace strobe {

RoutedCommunicator::RoutedCommunicator(std::unique_ptr<Communicator> host, std::unique_ptr<Communicator> device)
    : host_(std::move(host)), device_(std::move(device)) {
  if (host_->rank() != device_->rank() || host_->world_size() != device_->world_size()) {
    throw std::invalid_argument("RoutedCommunicator: the host and device backends span different ranks");
  }
}

}  // namespace strobe
