using System.Text.Json.Serialization;

namespace Usher.Cli.Profile;

/// <summary>The right-sizing answer (<see cref="CapacityPlan"/>).</summary>
internal sealed record CapacityRecord(
    [property: JsonPropertyName("target_rps")] double? TargetRps,
    [property: JsonPropertyName("slo_p99_ms")] double? SloP99Ms,
    [property: JsonPropertyName("replicas")] int? Replicas,
    [property: JsonPropertyName("cores_per_replica")] int CoresPerReplica,
    [property: JsonPropertyName("memory_gib_per_replica")] double MemoryGiBPerReplica,
    [property: JsonPropertyName("replica_throughput_rps")] double ReplicaThroughputRps,
    [property: JsonPropertyName("utilization")] double Utilization,
    [property: JsonPropertyName("planned_rps_per_replica")] double PlannedRpsPerReplica,
    [property: JsonPropertyName("memory_headroom")] double MemoryHeadroom,
    [property: JsonPropertyName("answer")] string Answer);
