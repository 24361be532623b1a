#include "coordinator/controller_state.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace strobe {

void ControllerState::Set(const std::string& key, double value) {
  entries_.emplace_back(key, absl::StrFormat("%.17g", value));
}

void ControllerState::Set(const std::string& key, int64_t value) { entries_.emplace_back(key, absl::StrCat(value)); }

void ControllerState::Set(const std::string& key, bool value) { entries_.emplace_back(key, value ? "1" : "0"); }

const std::string* ControllerState::Find(const std::string& key) const {
  for (const auto& [name, value] : entries_) {
    if (name == key) return &value;
  }
  return nullptr;
}

bool ControllerState::Get(const std::string& key, double* value) const {
  const std::string* text = Find(key);
  return text != nullptr && absl::SimpleAtod(*text, value);
}

bool ControllerState::Get(const std::string& key, int64_t* value) const {
  const std::string* text = Find(key);
  return text != nullptr && absl::SimpleAtoi(*text, value);
}

bool ControllerState::Get(const std::string& key, bool* value) const {
  int64_t number = 0;
  if (!Get(key, &number) || (number != 0 && number != 1)) return false;
  *value = number == 1;
  return true;
}

}  // namespace strobe
