using Confluent.Kafka;

namespace ActorStream.Kafka.Internal;

/// <summary>A fetched record and the lease it was fetched under, before deserialization.</summary>
internal readonly record struct RawRecord(ConsumeResult<byte[], byte[]> Record, PartitionLease Lease, ConsumerLoop Loop);
