using System.Text.Json;
using Usher.Cli.Admin;

namespace Usher.Cli.Tests.Admin;

/// <summary>The table rendering of a shadowing rollout, compared with text written out by hand.</summary>
public sealed class ShadowStatusViewTests
{
    private const string Status = """
        {"id": 7, "endpoint": "fraud", "model": "fraud", "strategy": "shadow", "phase": "shadowing",
         "stable_version": 1, "candidate_version": 2, "step": 0, "steps": [25, 100], "weight": 0, "interval_seconds": 30,
         "next_decision_at": null, "rollback_window_ends_at": null, "reason": null,
         "created_at": "2026-11-28T20:00:00+00:00", "updated_at": "2026-11-28T20:00:00+00:00", "analysis": null,
         "shadow": {"primary": "fraud:1", "shadow": "fraud:2", "percent": 50, "queue_capacity": 1000, "since": "2026-11-28T20:00:00+00:00",
           "pairs": 10, "mirrored": 9, "failed": 1, "dropped": 3, "queued": 2,
           "agreement": {"basis": "label", "compared": 10, "agreed": 8, "rate": 0.8, "ci_low": 0.49016, "ci_high": 0.94331, "confidence": 0.95},
           "confusion": [{"primary": "0", "shadow": "0", "count": 6}, {"primary": "0", "shadow": "1", "count": 1}, {"primary": "1", "shadow": "1", "count": 2}],
           "scores": {"rows": 9, "mean_abs_diff": 0.05, "max_abs_diff": 0.25, "psi": 0.1, "ks_d": 0.2, "ks_p": 0.5},
           "latency_ms": {"samples": 10, "primary_p50": 0.5, "primary_p99": 2, "shadow_p50": 0.25, "shadow_p99": 1.5},
           "gate": {"min_agreement": 0.99, "max_latency_p99_ratio": 1.5, "min_samples": 500, "passed": false, "detail": "waiting for samples: 10 of 500 mirrored pairs compared"},
           "disagreements": [
             {"at": "2026-11-28T20:00:01+00:00", "inputs": [{"name": "features", "datatype": "FP32", "shape": [1, 5], "data": [1, 2, 3, 4, 5], "truncated": false}],
              "primary_outputs": [{"name": "label", "datatype": "INT64", "shape": [1], "data": [0], "truncated": false}],
              "shadow_outputs": [{"name": "label", "datatype": "INT64", "shape": [1], "data": [1], "truncated": false}], "error": null},
             {"at": "2026-11-28T20:00:02+00:00", "inputs": [{"name": "features", "datatype": "FP32", "shape": [1, 2], "data": [0.5, -1], "truncated": false}],
              "primary_outputs": [{"name": "label", "datatype": "INT64", "shape": [1], "data": [1], "truncated": false}],
              "shadow_outputs": null, "error": "model 'fraud' has no version 2"}]}}
        """;

    [Fact]
    public void RolloutStatus_Shadowing_ShowsTheComparisonInsteadOfAnAnalysis()
    {
        using var document = JsonDocument.Parse(Status);
        var writer = new StringWriter { NewLine = "\n" };

        RolloutStatusView.Write(document.RootElement, writer, DateTimeOffset.UnixEpoch);

        Assert.Equal(
            """
            rollout 7 on fraud: shadow, shadowing
              versions  stable v1 -> candidate v2 (model fraud)
              weight    candidate weight 0%: it gets copies and answers no client; then canary steps 25, 100
              updated   2026-11-28 20:00:00Z (created 2026-11-28 20:00:00Z)
            shadow: fraud:2 gets 50% of fraud:1's requests since 2026-11-28 20:00:00Z: 10 pairs compared, 1 failed, 3 dropped (queue 2/1000)
              agreement  top-1 label 8/10 = 80% (95% CI 49.02% to 94.33%)
              scores     mean |diff| 0.05, max |diff| 0.25 over 9 rows; PSI 0.1, KS D 0.2 (p 0.5)
              latency    p50 0.25 ms vs 0.5 ms primary; p99 1.5 ms vs 2 ms primary (10 pairs)
              gate       not yet: waiting for samples: 10 of 500 mirrored pairs compared
              labels (rows: primary, columns: shadow):
                   0  1
                0  6  1
                1  0  2
              last 2 disagreements (newest last; all values in the admin API's JSON):
                2026-11-28 20:00:01Z  in features=[1, 2, 3, 4, ...]  primary label=[0]  shadow label=[1]
                2026-11-28 20:00:02Z  in features=[0.5, -1]  primary label=[1]  shadow error model 'fraud' has no version 2

            """,
            writer.ToString());
    }
}
