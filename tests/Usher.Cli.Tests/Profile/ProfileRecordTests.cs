using System.Text.Json;
using System.Text.Json.Nodes;
using Usher.Cli.Profile;

namespace Usher.Cli.Tests.Profile;

/// <summary>The shape of <c>usher profile --output json</c>, which the capacity simulator reads.</summary>
public sealed class ProfileRecordTests
{
    [Fact]
    public void Json_KeepsEveryEarlierField_AndAddsTheServersReadings()
    {
        var load = new ServerLoad(2, 3000, 400, 200, null);
        var point = Points.Of(load.Predicted, 4, instances: 2) with { Load = load };
        var settings = new ProfileSettings("repo", "fraud", null, 5, 9000, ProfileGrid.Default(2, quick: true), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), null, true);
        var report = ProfileReport.Conclude(settings, 1, [], ProfileGrid.Default(2, quick: true), 120, point, [point]);

        var json = JsonNode.Parse(JsonSerializer.Serialize(ProfileRecord.From(report), ProfileJsonContext.Default.ProfileRecord))!;

        var top = json.AsObject().Select(p => p.Key).ToList();
        Assert.Equal(["model", "version", "quantized_versions", "cores", "measurement", "base_memory_mib", "slo_p99_ms", "target_rps", "points", "default", "frontier", "recommendation", "capacity"], top);
        Assert.Equal(
            ["warmup_seconds", "duration_seconds", "concurrency", "seed", "protocol", "client", "throughput", "repeats"],
            json["measurement"]!.AsObject().Select(p => p.Key));
        var p = json["points"]![0]!;
        Assert.Equal(
            ["id", "version", "quantized_from", "default", "config", "cores", "concurrency", "throughput_rps", "p50_ms", "p99_ms", "errors", "memory", "server", "runs", "throughput_range_rps", "p99_range_ms"],
            p.AsObject().Select(x => x.Key));

        // 3,000 x 2 / (2 - 3,000 x 200 µs) = 4,285.7; capacity 2 / 400 µs = 5,000; shared 2 / 600 µs = 3,333.3; utilization 3,000 / 5,000.
        Assert.Equal(4285.7, (double)p["throughput_rps"]!);
        var server = p["server"]!;
        Assert.Equal((3000.0, 400.0, 200.0, 5000.0, 3333.3, 0.6, "shared"), (
            (double)server["measured_rps"]!, (double)server["server_cpu_us_per_request"]!, (double)server["client_cpu_us_per_request"]!,
            (double)server["capacity_rps"]!, (double)server["shared_with_client_rps"]!, (double)server["server_utilization"]!, (string)server["client"]!));
        Assert.Equal("shared", (string)json["measurement"]!["client"]!);
        Assert.Equal("rest", (string)json["measurement"]!["protocol"]!);

        // The recommendation says how much of the 5 ms SLO it was to keep free, and whether it did: p99 4 ms > 5 x 0.7 = 3.5 ms.
        var recommendation = json["recommendation"]!;
        Assert.Equal(
            ["point", "version", "for_slo", "config_yaml", "throughput_vs_default", "p99_vs_default", "default_meets_slo", "slo_headroom", "p99_limit_ms", "within_headroom", "fastest", "tied", "default_within_noise"],
            recommendation.AsObject().Select(x => x.Key));
        Assert.Equal((0.3, 3.5, false), ((double)recommendation["slo_headroom"]!, (double)recommendation["p99_limit_ms"]!, (bool)recommendation["within_headroom"]!));

        // The capacity answer reads the predicted throughput: 9,000 / (0.7 x 4,285.7) = 3 replicas of the server's 2 cores.
        Assert.Equal((3, 2, 4285.7), ((int)json["capacity"]!["replicas"]!, (int)json["capacity"]!["cores_per_replica"]!, (double)json["capacity"]!["replica_throughput_rps"]!));
    }

    [Fact]
    public void Json_RepeatedPoints_CarryTheirRunsRangesAndTies()
    {
        var defaultPoint = Points.Runs([560, 600, 690], 6, threads: 2, isDefault: true);
        var twoInstances = Points.Runs([610, 660, 720], 9, instances: 2);
        var once = Points.Of(300, 2);
        var settings = new ProfileSettings("repo", "mlp-large", null, 20, null, ProfileGrid.Default(2, quick: true), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), null, true);
        var report = ProfileReport.Conclude(settings, 1, [], ProfileGrid.Default(2, quick: true), 120, defaultPoint, [defaultPoint, twoInstances, once]);

        var json = JsonNode.Parse(JsonSerializer.Serialize(ProfileRecord.From(report), ProfileJsonContext.Default.ProfileRecord))!;

        Assert.Equal(3, (int)json["measurement"]!["repeats"]!);
        var points = json["points"]!.AsArray();
        Assert.Equal((3, 600.0, 560.0, 690.0), ((int)points[0]!["runs"]!, (double)points[0]!["throughput_rps"]!, (double)points[0]!["throughput_range_rps"]![0]!, (double)points[0]!["throughput_range_rps"]![1]!));
        Assert.Equal((1, 300.0, 300.0, 2.0, 2.0), ((int)points[2]!["runs"]!, (double)points[2]!["throughput_range_rps"]![0]!, (double)points[2]!["throughput_range_rps"]![1]!, (double)points[2]!["p99_range_ms"]![0]!, (double)points[2]!["p99_range_ms"]![1]!));

        // 660 - 600 = 60, within the default's spread of 130: the default is kept, and says why.
        var recommendation = json["recommendation"]!;
        Assert.Equal(("v1-default", "v1-b1-i2-t1", true), ((string)recommendation["point"]!, (string)recommendation["fastest"]!, (bool)recommendation["default_within_noise"]!));
        Assert.Equal(["v1-b1-i2-t1", "v1-default"], recommendation["tied"]!.AsArray().Select(n => (string)n!));

        var text = new StringWriter();
        ProfileReportView.Write(report, text);
        Assert.Contains("v1-default, 600 req/s (median of 3 runs, 560-690)", text.ToString(), StringComparison.Ordinal);
        Assert.Contains("the default config is as good as any of them as far as the runs can tell: keep it", text.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Json_ADefaultThatAnsweredNothing_HasNoRatiosToIt_AndStillSerializes()
    {
        // The default's window answered nothing on a starved machine: 0 req/s, NaN p99. Its ratios would be
        // infinity and NaN, which JSON cannot carry (the profile crashed writing them).
        var silent = Points.Of(0, double.NaN, isDefault: true);
        var other = Points.Of(500, 3);
        var settings = new ProfileSettings("repo", "fraud", null, 5, null, ProfileGrid.Default(2, quick: true), TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(1), null, true);
        var report = ProfileReport.Conclude(settings, 1, [], ProfileGrid.Default(2, quick: true), 120, silent, [silent, other]);

        var json = JsonNode.Parse(JsonSerializer.Serialize(ProfileRecord.From(report), ProfileJsonContext.Default.ProfileRecord))!;

        var recommendation = json["recommendation"]!;
        Assert.Equal(other.Config.Id, (string)recommendation["point"]!);
        Assert.Null(recommendation["throughput_vs_default"]);
        Assert.Null(recommendation["p99_vs_default"]);
    }
}
