#ifndef STROBE_COORDINATOR_CONTROLLER_STATE_H_
#define STROBE_COORDINATOR_CONTROLLER_STATE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace strobe {

// A controller's resume state as named one-line text values, which a checkpoint stores without knowing what they
// mean. Doubles round-trip exactly (17 significant digits), so a resumed run continues bit for bit.
class ControllerState {
 public:
  using Entries = std::vector<std::pair<std::string, std::string>>;

  ControllerState() = default;
  explicit ControllerState(Entries entries) : entries_(std::move(entries)) {}

  void Set(const std::string& key, double value);
  void Set(const std::string& key, int64_t value);
  void Set(const std::string& key, bool value);

  // False when the key is absent or its value does not parse; `value` is then unchanged.
  bool Get(const std::string& key, double* value) const;
  bool Get(const std::string& key, int64_t* value) const;
  bool Get(const std::string& key, bool* value) const;

  const Entries& entries() const { return entries_; }

  // Every entry a state struct's Fields(self, visit) lists, under its name; Load is false (and leaves fields
  // partly read) when one is missing or unreadable.
  template <typename State>
  void Save(const State& state) {
    State::Fields(state, [this](const char* key, auto value) { Set(key, value); });
  }
  template <typename State>
  bool Load(State& state) const {
    bool complete = true;
    State::Fields(state, [&](const char* key, auto& value) { complete = Get(key, &value) && complete; });
    return complete;
  }

 private:
  const std::string* Find(const std::string& key) const;

  Entries entries_;
};

}  // namespace strobe

#endif  // STROBE_COORDINATOR_CONTROLLER_STATE_H_
