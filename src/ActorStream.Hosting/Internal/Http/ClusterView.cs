using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using ActorStream.Hosting.Internal.Configuration;
using ActorStream.Monitoring;

namespace ActorStream.Hosting.Internal.Http;

/// <summary>Cluster members with their shards and entities per pipeline region, and this node's partitions.</summary>
internal static class ClusterView
{
    public static async Task<object> ReadAsync(ActorStreamNode node, PipelineMonitoring monitoring)
    {
        var cluster = Cluster.Get(node.System);
        var shards = new Dictionary<Address, (int Shards, long Entities)>();
        foreach (var pipeline in node.RunningPipelines)
        {
            try
            {
                var stats = await pipeline.Region.Ask<ClusterShardingStats>(new GetClusterShardingStats(TimeSpan.FromSeconds(2)), TimeSpan.FromSeconds(3));
                foreach (var (address, region) in stats.Regions)
                {
                    var current = shards.GetValueOrDefault(address);
                    shards[address] = (current.Shards + region.Stats.Count, current.Entities + region.Stats.Values.Sum());
                }
            }
            catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
            {
                // A region that does not answer in time shows no shards this round.
            }
        }

        return new
        {
            self = cluster.SelfAddress.ToString(),
            self_status = cluster.SelfMember.Status.ToString(),
            members = cluster.State.Members.Select(m => new
            {
                address = m.Address.ToString(),
                status = m.Status.ToString(),
                // As seen from this node's failure detector: an unreachable member is about to be downed (SBR).
                reachable = !cluster.State.Unreachable.Contains(m),
                roles = m.Roles.ToList(),
                shards = shards.GetValueOrDefault(m.Address).Shards,
                entities = shards.GetValueOrDefault(m.Address).Entities,
            }).ToList(),
            diagnostics = monitoring.Diagnostics.Select(d => new { id = d.Id, condition = d.Condition, fix = d.Fix, count = d.Count, first_seen = d.FirstSeen, last_seen = d.LastSeen }).ToList(),
            partitions = node.RunningPipelines.Select(p => new
            {
                pipeline = p.Settings.Name,
                assigned = monitoring.AssignedPartitions(p.Settings.GroupId).OrderBy(x => x.Topic).ThenBy(x => x.Partition).Select(x => $"{x.Topic}[{x.Partition}]").ToList(),
            }).ToList(),
        };
    }
}
