using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;

namespace ActorStream.Benchmarks.Harness;

/// <summary>
/// Pre-produced benchmark data on the embedded (librdkafka mock) broker: limits of the mock,
/// producing with an idempotent acks=all producer, and checking that every record arrived and
/// none was dropped.
/// </summary>
public static class TopicData
{
    /// <summary>The mock keeps at most this many message sets (record batches) per partition.</summary>
    public const int MockMaxMessageSetsPerPartition = 100_000;

    /// <summary>The mock keeps at most this many bytes of record batches per partition.</summary>
    public const long MockMaxBytesPerPartition = 5L * 1024 * 1024;

    /// <summary>Fraction of the mock's byte limit a benchmark may plan to fill (the estimate is not exact).</summary>
    public const double SafetyFactor = 0.9;

    /// <summary>Record-batch header (v2): fixed 61 bytes per message set.</summary>
    private const int BatchHeaderBytes = 61;

    /// <summary>Upper bound of a v2 record's framing without key and value (length, attributes, deltas, lengths, header count as varints).</summary>
    private const int RecordOverheadBytes = 20;

    /// <summary>
    /// Conservative size a partition's log reaches with <paramref name="records"/> records: record
    /// framing plus one batch header per <paramref name="batchRecords"/> records, or per 100 records
    /// if that is fewer (a batch may close early on linger.ms).
    /// </summary>
    public static long EstimatePartitionBytes(long records, int keySize, int valueSize, int batchRecords)
    {
        long perBatch = Math.Clamp(batchRecords, 1, 100);
        return (records * (RecordOverheadBytes + keySize + valueSize)) + (((records + perBatch - 1) / perBatch) * BatchHeaderBytes);
    }

    /// <summary>
    /// Refuses a data set that would not fit the mock's per-partition retention (older data would be
    /// dropped silently and the benchmark would read less than it thinks).
    /// </summary>
    /// <exception cref="UsageException">The data set is too large; the message names the options and the limit.</exception>
    public static void CheckFitsMock(long messages, int partitions, int keySize, int valueSize, int batchRecords, string messagesOption, string partitionsOption, string valueSizeOption)
    {
        var perPartition = (messages + partitions - 1) / partitions;
        if (perPartition > MockMaxMessageSetsPerPartition)
        {
            throw new UsageException(
                $"{messagesOption}/{partitionsOption}: {perPartition:N0} messages per partition exceed the embedded broker's limit of " +
                $"{MockMaxMessageSetsPerPartition:N0} message sets per partition (librdkafka's mock silently drops older data beyond it); " +
                "use more partitions or fewer messages");
        }

        var bytes = EstimatePartitionBytes(perPartition, keySize, valueSize, batchRecords);
        var limit = (long)(MockMaxBytesPerPartition * SafetyFactor);
        if (bytes > limit)
        {
            throw new UsageException(string.Create(CultureInfo.InvariantCulture,
                $"{messagesOption}/{partitionsOption}/{valueSizeOption}: about {bytes / 1024.0 / 1024.0:0.00} MiB per partition " +
                $"({perPartition:N0} messages × ({valueSize} B value + {keySize} B key + framing)) exceed {SafetyFactor * 100:0}% of the embedded " +
                $"broker's 5 MiB per-partition retention (librdkafka's mock silently drops older data beyond it); " +
                $"use more partitions, fewer messages or smaller values (at most about {limit / (RecordOverheadBytes + keySize + valueSize + 1):N0} messages per partition at this value size)"));
        }
    }

    /// <summary>
    /// Produces <paramref name="messages"/> records spread evenly over the partitions (floor or
    /// ceil of messages/partitions each) with an idempotent acks=all producer, then checks
    /// that every delivery succeeded, that the end offsets sum to <paramref name="messages"/> and
    /// that every partition still starts at offset 0 (nothing dropped by the mock).
    /// </summary>
    /// <remarks>
    /// The mock returns one record batch per partition per Fetch (a real broker fills up to
    /// max.partition.fetch.bytes), so <paramref name="batchRecords"/> (the producer's
    /// batch.num.messages) sets how many records one fetch round trip delivers per partition.
    /// </remarks>
    /// <returns>End offset (record count) per partition.</returns>
    /// <exception cref="InvalidOperationException">A delivery failed or the broker holds other data than produced.</exception>
    public static IReadOnlyDictionary<TopicPartition, long> Produce(string bootstrapServers, string topic, int partitions, long messages, int keySize, int valueSize, int lingerMs, int batchRecords)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = lingerMs,
            BatchNumMessages = batchRecords,
            ClientId = "benchmark-loader",
        };
        var value = new byte[valueSize];
        new Random(42).NextBytes(value);
        long delivered = 0;
        long failed = 0;
        string? firstError = null;
        var sw = Stopwatch.StartNew();
        using (var producer = new ProducerBuilder<byte[], byte[]>(config).Build())
        {
            void OnDelivery(DeliveryReport<byte[], byte[]> report)
            {
                if (report.Error.IsError)
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, $"{report.TopicPartition}: {report.Error.Code} {report.Error.Reason}", null);
                }
                else if (report.Status == PersistenceStatus.Persisted)
                {
                    Interlocked.Increment(ref delivered);
                }
                else
                {
                    Interlocked.Increment(ref failed);
                    Interlocked.CompareExchange(ref firstError, $"{report.TopicPartition}: status {report.Status}", null);
                }
            }

            // Chunked order: batchRecords consecutive records per partition, then the next
            // partition. A chunk is produced in well under linger.ms, so every record batch closes
            // at batch.num.messages and the batch size (= records per mock fetch and partition) is
            // the same in every run instead of depending on how fast this loop happened to be.
            var partitionsOf = Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)).ToArray();
            var counts = Enumerable.Range(0, partitions).Select(p => (messages / partitions) + (p < messages % partitions ? 1 : 0)).ToArray();
            long index = 0;
            for (long chunk = 0; chunk < counts[0]; chunk += batchRecords)
            {
                for (var p = 0; p < partitions; p++)
                {
                    for (var j = chunk; j < Math.Min(chunk + batchRecords, counts[p]); j++)
                    {
                        var key = new byte[keySize];
                        if (keySize >= 8)
                        {
                            BinaryPrimitives.WriteInt64BigEndian(key, index);
                        }

                        index++;
                        var message = new Message<byte[], byte[]> { Key = key, Value = value };
                        while (true)
                        {
                            try
                            {
                                producer.Produce(partitionsOf[p], message, OnDelivery);
                                break;
                            }
                            catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                            {
                                producer.Poll(TimeSpan.FromMilliseconds(50));
                            }
                        }
                    }
                }
            }

            var left = producer.Flush(TimeSpan.FromSeconds(60));
            if (left > 0)
            {
                throw new InvalidOperationException($"Producing the benchmark data: {left} records still undelivered after 60 s");
            }
        }

        if (failed > 0 || delivered != messages)
        {
            throw new InvalidOperationException(
                $"Producing the benchmark data: {delivered:N0} of {messages:N0} records delivered, {failed:N0} failed (first: {firstError ?? "none"})");
        }

        var ends = Watermarks(bootstrapServers, topic, partitions);
        var total = ends.Values.Sum(w => w.High - w.Low);
        var dropped = ends.Where(kv => kv.Value.Low != 0).ToList();
        if (dropped.Count > 0 || total != messages || ends.Values.Sum(w => w.High) != messages)
        {
            throw new InvalidOperationException(
                $"The broker holds other data than produced: expected {messages:N0} records from offset 0, found " +
                string.Join(", ", ends.Select(kv => $"[{kv.Key.Partition.Value}] {kv.Value.Low}..{kv.Value.High}")) +
                " (a partition starting above 0 means the mock's retention dropped data)");
        }

        Console.Error.WriteLine(FormattableString.Invariant(
            $"Produced {messages:N0} records ({keySize} B key, {valueSize} B value, linger.ms={lingerMs}, batch.num.messages={batchRecords}) to {topic} ({partitions} partitions) in {sw.Elapsed.TotalSeconds:N1} s; end offsets verified"));
        return ends.ToDictionary(kv => kv.Key, kv => kv.Value.High);
    }

    /// <summary>Low and high watermark per partition, asked from the broker.</summary>
    public static Dictionary<TopicPartition, (long Low, long High)> Watermarks(string bootstrapServers, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = $"benchmark-watermarks-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
        }).Build();
        var result = new Dictionary<TopicPartition, (long, long)>();
        for (var p = 0; p < partitions; p++)
        {
            var tp = new TopicPartition(topic, p);
            var w = consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10));
            result[tp] = (w.Low.Value, w.High.Value);
        }

        return result;
    }

    /// <summary>The group's committed offsets (OffsetFetch), without joining the group.</summary>
    public static Dictionary<TopicPartition, long> Committed(string bootstrapServers, string groupId, IEnumerable<TopicPartition> partitions)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = groupId,
            EnableAutoCommit = false,
        }).Build();
        return consumer.Committed(partitions, TimeSpan.FromSeconds(10)).ToDictionary(t => t.TopicPartition, t => t.Offset.Value);
    }
}
