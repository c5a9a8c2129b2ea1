using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Usher.ControlPlane.Api;
using Usher.ControlPlane.Experiments;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Tests.Api;

/// <summary>
/// The admin API's DTOs against the contract's examples (docs/admin-api.md, copied here as they are
/// there, with the elisions "..." filled in): each reads into its DTO and writes back the same JSON.
/// </summary>
public sealed class AdminDtoContractTests
{
    private const string Error = """{"error": "what went wrong and what to do", "problems": ["one line per problem", "..."]}""";

    private const string Endpoints = """
        {"endpoints": [
          {"name": "fraud",
           "variants": [{"model": "fraud", "version": 1, "weight": 75}, {"model": "fraud", "version": 2, "weight": 25}],
           "rollout": {"id": 3, "strategy": "canary", "phase": "progressing"},
           "faults": [{"variant": "fraud:2", "abort_fraction": 0.1, "abort_status": 503, "delay_ms": 0, "delay_fraction": 0}]}
         ],
         "stale": [
          {"endpoint": "iris", "kind": "route_table",
           "message": "route table not restored: model 'iris' is not in the repository /srv/models; it is removed (a model that comes back gets a new table)"}
        ]}
        """;

    private const string DryRun = """
        {"dry_run": true,
         "spec": {"endpoint": "fraud", "model": "fraud", "version": 2, "strategy": "canary",
                  "canary": {"steps": [5, 25, 50, 100], "interval": "1m"},
                  "analysis": {"min_requests": 100, "min_predictions": 100, "inconclusive_after": "10m", "max_error_rate": 0.05,
                               "alpha": 0.01, "max_latency_p99_ratio": 1.5, "max_latency_p50_ratio": 1.25, "min_latency_delta_ms": 1, "max_psi": 0.2}}}
        """;

    private const string History = """
        {"endpoint": "fraud", "events": [
          {"id": 1, "rollout_id": 3, "at": "2026-11-28T20:00:00+00:00", "kind": "deploy", "actor": "cli",
           "message": "canary fraud:2 over fraud:1", "data": null},
          {"id": 2, "rollout_id": 3, "at": "2026-11-28T20:01:00+00:00", "kind": "step", "actor": "controller",
           "message": "canary weight 25%", "data": {"weight": 25}}
        ]}
        """;

    private const string FaultBody = """{"abort_fraction": 0.1, "abort_status": 503, "delay_ms": 0, "delay_fraction": 0}""";

    private const string FaultSet = """{"endpoint": "fraud", "variant": "fraud:2", "fault": {"variant": "fraud:2", "abort_fraction": 0.1, "abort_status": 503, "delay_ms": 0, "delay_fraction": 0}}""";

    private const string FaultBodyForOneReplica = """{"abort_fraction": 1, "abort_status": 507, "delay_ms": 0, "delay_fraction": 0, "replica": "node-7-3f9a0c1d2e4b"}""";

    private const string Replicas = """
        {"replicas": [
          {"id": "node-7-3f9a0c1d2e4b", "http_address": "http://10.0.0.7:8000", "grpc_address": "http://10.0.0.7:8001",
           "region": "eu-west", "labels": {"hw": "gpu"}, "up": true, "leader": true,
           "started_at": "2026-12-06T08:00:00+00:00", "heartbeat_at": "2026-12-06T08:10:02+00:00", "down_at": null,
           "models": [{"model": "fraud", "version": 2, "ready": true, "hardware": "gpu"}],
           "queue_depth": 3, "in_flight": 2, "capacity": 4}
         ],
         "answered_by": "node-7-3f9a0c1d2e4b"}
        """;

    private const string FaultCleared = """{"endpoint": "fraud", "variant": "fraud:2", "cleared": true}""";

    private const string RolloutStatus = """
        {"id": 3, "endpoint": "fraud", "model": "fraud", "strategy": "canary", "phase": "progressing",
         "stable_version": 1, "candidate_version": 2,
         "step": 1, "steps": [5, 25, 50, 100], "weight": 25, "interval_seconds": 60,
         "step_started_at": "2026-11-28T20:01:00+00:00", "next_decision_at": "2026-11-28T20:02:00+00:00",
         "rollback_window_ends_at": null, "reason": null,
         "created_at": "2026-11-28T20:00:00+00:00", "updated_at": "2026-11-28T20:01:00+00:00",
         "analysis": {"verdict": "pass", "summary": "...", "window_start": "2026-11-28T20:00:00+00:00",
                      "stable": {"requests": 950, "errors": 0}, "canary": {"requests": 50, "errors": 0},
                      "checks": [{"name": "error_rate", "outcome": "pass", "detail": "...",
                                  "statistics": {"canary_error_rate": 0.0}}]}}
        """;

    private const string Shadow = """
        {"primary": "fraud:1", "shadow": "fraud:2", "percent": 50, "queue_capacity": 1000,
          "since": "2026-11-28T21:34:36+00:00", "pairs": 184, "mirrored": 184, "failed": 0, "dropped": 0, "queued": 0,
          "agreement": {"basis": "label", "compared": 184, "agreed": 176, "rate": 0.9565, "ci_low": 0.9166, "ci_high": 0.9778, "confidence": 0.95},
          "confusion": [{"primary": "0", "shadow": "0", "count": 168}, {"primary": "0", "shadow": "1", "count": 6}],
          "scores": {"rows": 184, "mean_abs_diff": 0.018, "max_abs_diff": 0.0664, "psi": 0.0504, "ks_d": 0.0543, "ks_p": 0.9496},
          "latency_ms": {"samples": 184, "primary_p50": 0.061, "primary_p99": 11.446, "shadow_p50": 0.025, "shadow_p99": 1.458},
          "gate": null,
          "disagreements": [{"at": "2026-11-28T21:34:40+00:00", "inputs": [{"name": "features", "datatype": "FP32", "shape": [1, 30], "data": [0.5427, null, "a"], "truncated": false}],
                             "primary_outputs": [], "shadow_outputs": null, "error": "shadow failed"}]}
        """;

    public static TheoryData<string, string> Examples => new()
    {
        { "error", Error },
        { "endpoints", Endpoints },
        { "dry_run", DryRun },
        { "history", History },
        { "fault_body", FaultBody },
        { "fault_body_replica", FaultBodyForOneReplica },
        { "fault_set", FaultSet },
        { "fault_cleared", FaultCleared },
        { "rollout_status", RolloutStatus },
        { "shadow", Shadow },
        { "replicas", Replicas },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void DocumentedExample_ReadsIntoItsDto_AndWritesBackTheSameJson(string name, string json)
    {
        var written = name switch
        {
            "error" => RoundTrip(json, AdminJsonContext.Default.ErrorDto),
            "endpoints" => RoundTrip(json, AdminJsonContext.Default.EndpointListDto),
            "dry_run" => RoundTrip(json, AdminJsonContext.Default.DryRunDto),
            "history" => RoundTrip(json, AdminJsonContext.Default.HistoryDto),
            "fault_body" or "fault_body_replica" => RoundTrip(json, AdminJsonContext.Default.FaultDto),
            "replicas" => RoundTrip(json, AdminJsonContext.Default.ReplicaListDto),
            "fault_set" => RoundTrip(json, AdminJsonContext.Default.FaultAnswerDto),
            "fault_cleared" => RoundTrip(json, AdminJsonContext.Default.FaultClearedDto),
            "rollout_status" => RoundTrip(json, AdminJsonContext.Default.RolloutDto),
            _ => RoundTrip(json, AdminJsonContext.Default.ShadowReportDto),
        };

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), JsonNode.Parse(written)), $"{name}: {written}");
    }

    [Fact]
    public void DocumentedRolloutStatus_ReadsItsFields()
    {
        var status = JsonSerializer.Deserialize(RolloutStatus, AdminJsonContext.Default.RolloutDto)!;

        Assert.Equal((3L, "progressing", 1L, 2L, 1, 25), (status.Id, status.Phase, status.StableVersion, status.CandidateVersion, status.Step, status.Weight));
        Assert.Equal([5, 25, 50, 100], status.Steps);
        Assert.Equal(new DateTimeOffset(2026, 11, 28, 20, 2, 0, TimeSpan.Zero), status.NextDecisionAt);
        var analysis = status.Analysis!.Value.Deserialize(AdminJsonContext.Default.AnalysisDto)!;
        Assert.Equal(("pass", 950L, 50L), (analysis.Verdict, analysis.Stable!.Requests, analysis.Canary!.Requests));
        Assert.Null(status.Shadow);
    }

    // A fault's wire form: an absent variant is absent (the request body), not null.
    [Fact]
    public void FaultDto_WithoutVariant_WritesTheFourFieldsOnly()
    {
        var json = JsonSerializer.Serialize(FaultDto.From(null, new FaultSpec(0.25, 502, 100, 0.5)), AdminJsonContext.Default.FaultDto);

        Assert.Equal("""{"abort_fraction":0.25,"abort_status":502,"delay_ms":100,"delay_fraction":0.5}""", json);
    }

    [Fact]
    public void ErrorDto_OfAnErrorWithoutProblems_HasNoProblemsKey()
    {
        Assert.Equal("""{"error":"gone"}""", JsonSerializer.Serialize(ErrorDto.From(ControlError.NotFound("gone")), AdminJsonContext.Default.ErrorDto));
        Assert.Equal(
            """{"error":"invalid fault: a; b","problems":["a","b"]}""",
            JsonSerializer.Serialize(ErrorDto.From(ControlError.Invalid("invalid fault", ["a", "b"])), AdminJsonContext.Default.ErrorDto));
    }

    // An experiment's numbers that are not finite (a mean before any outcome) are null on the wire.
    [Fact]
    public void ExperimentReportDto_WritesNonFiniteNumbersAsNull_AndTheDecisionTwice()
    {
        var report = new ExperimentReport(
            "conversion", OutcomeKind.Binary, 0.05, 1,
            [new ArmResult(1, 50, 10, 10, 0, double.NaN, ArmVerdict.Control, "control", null)],
            null, "not yet", null, "too few outcomes");

        var json = JsonNode.Parse(JsonSerializer.Serialize(ExperimentReportDto.From("fraud", 7, "ab", "progressing", report), AdminJsonContext.Default.ExperimentReportDto))!;

        Assert.Equal(("not yet", "not yet", 7L), (json["decision"]!.GetValue<string>(), json["verdict"]!.GetValue<string>(), json["rollout_id"]!.GetValue<long>()));
        var arm = json["arms"]![0]!.AsObject();
        Assert.Null(arm["mean"]);
        Assert.True(arm.ContainsKey("mean"));
        Assert.False(arm.ContainsKey("vs_control"));
        Assert.True(json.AsObject().ContainsKey("srm"));
        Assert.Null(json["srm"]);
    }

    private static string RoundTrip<T>(string json, JsonTypeInfo<T> typeInfo)
        => JsonSerializer.Serialize(JsonSerializer.Deserialize(json, typeInfo)!, typeInfo);
}
