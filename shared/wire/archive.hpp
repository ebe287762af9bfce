// Cereal archives for the wire, byte-compatible with cereal's PortableBinary archives
// (a leading endianness byte, little-endian scalars, 64-bit size prefixes) but safe and
// cheap on a network:
//  - WireReader reads from a bounded span and refuses a size prefix larger than the
//    bytes left, so a few hostile bytes cannot make cereal resize a container to
//    gigabytes (cereal itself trusts the prefix).
//  - WireWriter appends straight into a byte vector, no iostream in between.
#pragma once

#include <bit>
#include <cereal/cereal.hpp>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <vector>

namespace parley::wire {

// cereal copies vectors of integers with memcpy (binary_data): that matches the
// little-endian wire format only on a little-endian host, which is all we build for.
static_assert(std::endian::native == std::endian::little, "the wire codec assumes a little-endian host");

class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class WireWriter : public cereal::OutputArchive<WireWriter, cereal::AllowEmptyClassElision> {
 public:
  explicit WireWriter(std::vector<std::uint8_t>& out)
      : cereal::OutputArchive<WireWriter, cereal::AllowEmptyClassElision>(this), out_(out) {
    out_.push_back(1);  // the PortableBinary endianness marker: little-endian
  }

  template <class T>
  void put_scalar(T value) {
    static_assert(std::is_integral_v<T>, "the wire carries no floating point");
    put_bytes(&value, sizeof(T));  // little-endian host (asserted above): already wire order
  }
  void put_bytes(const void* data, std::size_t size) {
    auto p = static_cast<const std::uint8_t*>(data);
    out_.insert(out_.end(), p, p + size);
  }

 private:
  std::vector<std::uint8_t>& out_;
};

class WireReader : public cereal::InputArchive<WireReader, cereal::AllowEmptyClassElision> {
 public:
  explicit WireReader(std::span<const std::uint8_t> in)
      : cereal::InputArchive<WireReader, cereal::AllowEmptyClassElision>(this), in_(in) {
    std::uint8_t little = 0;
    get_bytes(&little, 1);
    if (little != 1) throw DecodeError("payload is not little-endian portable binary");
  }

  template <class T>
  void get_scalar(T& value) {
    static_assert(std::is_integral_v<T>, "the wire carries no floating point");
    std::uint8_t raw[sizeof(T)];
    get_bytes(raw, sizeof(T));
    std::make_unsigned_t<T> u = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i) u |= static_cast<std::make_unsigned_t<T>>(raw[i]) << (8 * i);
    value = static_cast<T>(u);
  }
  void get_bytes(void* data, std::size_t size) {
    if (size > remaining()) throw DecodeError("payload truncated");
    if (size == 0) return;  // an empty vector's data() may be null, which memcpy must not get
    std::memcpy(data, in_.data() + pos_, size);
    pos_ += size;
  }
  std::size_t remaining() const { return in_.size() - pos_; }

 private:
  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
};

template <class T>
requires std::is_arithmetic_v<T>
void CEREAL_SAVE_FUNCTION_NAME(WireWriter& ar, const T& value) {
  if constexpr (std::is_same_v<T, bool>)
    ar.put_scalar<std::uint8_t>(value ? 1 : 0);
  else
    ar.put_scalar(value);
}

template <class T>
requires std::is_arithmetic_v<T>
void CEREAL_LOAD_FUNCTION_NAME(WireReader& ar, T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    std::uint8_t b = 0;
    ar.get_scalar(b);
    if (b > 1) throw DecodeError("invalid bool");
    value = b == 1;
  } else {
    ar.get_scalar(value);
  }
}

template <class T>
void CEREAL_SERIALIZE_FUNCTION_NAME(WireWriter& ar, cereal::NameValuePair<T>& nvp) {
  ar(nvp.value);
}
template <class T>
void CEREAL_SERIALIZE_FUNCTION_NAME(WireReader& ar, cereal::NameValuePair<T>& nvp) {
  ar(nvp.value);
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(WireWriter& ar, const cereal::SizeTag<T>& tag) {
  ar.put_scalar(static_cast<std::uint64_t>(tag.size));
}
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(WireReader& ar, cereal::SizeTag<T>& tag) {
  std::uint64_t size = 0;
  ar.get_scalar(size);
  // Every element takes at least one byte on the wire, so a count larger than what is
  // left is a lie; refusing it here keeps cereal from resizing to it. What a frame can
  // make us allocate stays proportional to its size (a vector of strings: one string
  // object, 32 bytes, per byte of frame at worst).
  if (size > ar.remaining()) throw DecodeError("size prefix exceeds the payload");
  tag.size = static_cast<std::remove_reference_t<T>>(size);
}

template <class T>
void CEREAL_SAVE_FUNCTION_NAME(WireWriter& ar, const cereal::BinaryData<T>& data) {
  ar.put_bytes(data.data, static_cast<std::size_t>(data.size));
}
template <class T>
void CEREAL_LOAD_FUNCTION_NAME(WireReader& ar, cereal::BinaryData<T>& data) {
  ar.get_bytes(data.data, static_cast<std::size_t>(data.size));
}

}  // namespace parley::wire

CEREAL_REGISTER_ARCHIVE(parley::wire::WireWriter)
CEREAL_REGISTER_ARCHIVE(parley::wire::WireReader)
CEREAL_SETUP_ARCHIVE_TRAITS(parley::wire::WireReader, parley::wire::WireWriter)
