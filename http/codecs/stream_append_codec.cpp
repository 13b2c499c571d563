#include "http/codecs/stream_append_codec.hpp"

#include <algorithm>

#include "http/json_codec.hpp"

namespace ff {

decoded<on_partition<std::vector<append_frame_args>>> decode_append_frames(
    const route_params& path, std::uint32_t path_index, const rapidjson::Value& body) {
  using result = on_partition<std::vector<append_frame_args>>;
  // One fenced template, then one copy per frame.
  struct batch {
    ff::execution_id execution_id;
    lease_fence fence;
    std::vector<append_frame_args> frames;
  };
  auto d = decode_fenced<batch>(path, body, [&](field_reader& r, batch& b) {
    const rapidjson::Value* frames = r.find("frames");
    if (!frames) return r.fail("frames", "missing required field");
    if (!frames->IsArray()) return r.fail("frames", "expected an array of frame objects");
    for (rapidjson::SizeType i = 0; i < frames->Size() && r.ok(); ++i) {
      const auto& f = (*frames)[i];
      std::string at = "frames[" + std::to_string(i) + "]";
      if (!f.IsObject()) return r.fail(at, "expected an object");
      field_reader fr(f, at + ".");
      append_frame_args a;
      fr.string("frame_type", a.frame_type, true);
      fr.string("data", a.payload, true);
      fr.string("encoding", a.encoding, false);
      if (fr.string("mode", a.mode, false) && a.mode != "durable" && a.mode != "best_effort")
        fr.fail("mode", "expected \"durable\" or \"best_effort\"");
      fr.string("correlation_id", a.correlation_id, false);
      if (const auto* patch = fr.find("summary_patch")) {
        if (!patch->IsObject()) fr.fail("summary_patch", "expected a JSON object");
        else a.summary_patch = to_json(*patch);
      }
      adopt_failure(r, fr);
      b.frames.push_back(std::move(a));
    }
  });
  if (!d) return failed<result>(std::move(d.error));

  auto& b = d.args->args;
  if (b.fence.attempt_index != path_index)
    return failed<result>(bad_request("path idx does not match body attempt_index"));
  if (b.frames.empty() || b.frames.size() > max_frames_per_append)
    return failed<result>(bad_request("frames must hold 1..=64 entries (got " +
                                      std::to_string(b.frames.size()) + ")"));
  for (std::size_t i = 0; i < b.frames.size(); ++i) {
    std::string at = "frames[" + std::to_string(i) + "]";
    if (b.frames[i].frame_type.empty())
      return failed<result>(validation_failure("invalid_frame_type", at + ".frame_type is empty"));
    // Checked up front so a batch is not cut short by a frame the store
    // would refuse (retention_limit_exceeded).
    if (b.frames[i].payload.size() > default_max_frame_payload_bytes)
      return failed<result>(validation_failure(
          "retention_limit_exceeded",
          at + ".data exceeds " + std::to_string(default_max_frame_payload_bytes) + " bytes"));
  }

  result out;
  out.partition = d.args->partition;
  for (auto& f : b.frames) {
    f.execution_id = b.execution_id;
    f.fence = b.fence;
    out.args.push_back(std::move(f));
  }
  return success(std::move(out));
}

std::string encode_appended_frames(const std::vector<append_frame_outcome>& appended) {
  rapidjson::StringBuffer buf;
  json_writer w(buf);
  w.StartObject();
  write_key(w, "appended");
  w.StartArray();
  std::uint64_t frame_count = 0, summary_version = 0;
  for (const auto& a : appended) {
    w.StartObject();
    write_key(w, "id");
    write_string(w, a.entry_id);
    w.EndObject();
    frame_count = a.frame_count;
    // Frames without a patch report 0; the batch reports the latest version.
    summary_version = std::max(summary_version, a.summary_version);
  }
  w.EndArray();
  write_u64(w, "frame_count", frame_count);
  write_u64(w, "summary_version", summary_version);
  w.EndObject();
  return json_text(buf);
}

} // namespace ff
