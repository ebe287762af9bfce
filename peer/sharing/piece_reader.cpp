#include "peer/sharing/piece_reader.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <stdexcept>
#include <vector>

#include "shared/wire/piece_frame.hpp"

namespace parley::peer {

wire::SharedFrame read_piece_frame(const std::filesystem::path& path, std::uint64_t offset, std::uint32_t id,
                                   std::uint32_t length) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path.string());
  auto frame = std::make_shared<std::vector<std::uint8_t>>(wire::kPieceHeader + length);
  wire::put_piece_header(std::span(*frame).first<wire::kPieceHeader>(), id, length);
  std::uint8_t* data = frame->data() + wire::kPieceHeader;
  std::size_t done = 0;
  while (done < length) {
    ssize_t n = ::pread(fd, data + done, length - done, static_cast<off_t>(offset + done));
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (done != length) throw std::runtime_error(path.string() + " is shorter than registered");
  return frame;
}

}  // namespace parley::peer
