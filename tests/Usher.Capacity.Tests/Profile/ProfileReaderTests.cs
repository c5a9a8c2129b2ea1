using Usher.Capacity.Profile;
using Usher.Capacity.Queueing;

namespace Usher.Capacity.Tests.Profile;

public sealed class ProfileReaderTests
{
    // The shape of `usher profile --output json` (docs/optimize.md), trimmed to what the reader needs.
    private const string Json = """
        {
          "model": "mlp-large", "version": 1, "cores": 2, "base_memory_mib": 100.0, "slo_p99_ms": 20,
          "points": [
            { "id": "v1-default", "config": { "batch_size": 1, "dynamic_batching": false, "instances": 1, "intra_op_threads": 2 },
              "cores": 2, "throughput_rps": 400.0, "p99_ms": 8.0, "errors": 0, "memory": { "load_mib": 30, "peak_mib": 40, "per_instance_mib": 10 } },
            { "id": "v1-b32-i2-t1", "config": { "batch_size": 32, "dynamic_batching": true, "instances": 2, "intra_op_threads": 1 },
              "cores": 2, "throughput_rps": 1280.0, "p99_ms": 60.0, "errors": 0, "memory": { "load_mib": 30, "peak_mib": 60, "per_instance_mib": 15 } }
          ],
          "default": "v1-default",
          "recommendation": { "point": "v1-b32-i2-t1" }
        }
        """;

    [Fact]
    public void Read_WithoutAPoint_TakesTheRecommendation()
    {
        var problems = new List<string>();
        var profile = ProfileReader.Read(Json, null, problems);
        Assert.Empty(problems);
        Assert.NotNull(profile);
        Assert.Equal("v1-b32-i2-t1", profile.Point);
        Assert.Equal(160, profile.MemoryMiB);
        Assert.Equal(20, profile.SloP99Ms);

        // 2 instances x batch 32 = 64 servers of 1280 / 64 = 20 req/s (50 ms, one batch's time).
        var queue = profile.Queue(ServiceTimes.Deterministic);
        Assert.Equal(64, queue.Servers);
        Assert.Equal(1280, queue.Capacity, 9);
        Assert.Equal(0.05, queue.ServiceSeconds, 9);
    }

    [Fact]
    public void Read_Default_TakesTheModelsOwnConfiguration()
    {
        var profile = ProfileReader.Read(Json, "default", []);
        Assert.NotNull(profile);
        Assert.Equal("v1-default", profile.Point);
        Assert.Equal(0.5, profile.Queue(ServiceTimes.Deterministic, throughputFactor: 0.5).Capacity / 400, 9);
    }

    [Fact]
    public void Read_UnknownPoint_ListsThePoints()
    {
        var problems = new List<string>();
        Assert.Null(ProfileReader.Read(Json, "v9", problems));
        Assert.Contains("v1-default, v1-b32-i2-t1", Assert.Single(problems), StringComparison.Ordinal);
    }
}
