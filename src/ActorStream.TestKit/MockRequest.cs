namespace ActorStream.TestKit;

/// <summary>A protocol request received by the embedded cluster while request tracking was on.</summary>
/// <param name="BrokerId">The broker that received the request.</param>
/// <param name="ApiKey">The request type (values outside <see cref="KafkaApiKey"/>'s named members are possible).</param>
/// <param name="At">
/// When the broker read the request. Derived from librdkafka's monotonic clock, so it is precise relative to
/// other requests and to <see cref="DateTimeOffset.UtcNow"/> in this process, but not meant as an absolute
/// timestamp across machines.
/// </param>
public sealed record MockRequest(int BrokerId, KafkaApiKey ApiKey, DateTimeOffset At);
