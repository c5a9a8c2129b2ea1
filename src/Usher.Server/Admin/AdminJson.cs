using System.Text.Json;
using Usher.ControlPlane.Analysis.Json;
using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Experiments;
using Usher.ControlPlane.Rollouts;
using Usher.Core.Routing;

namespace Usher.Server.Admin;

/// <summary>The admin API's JSON shapes (docs/admin-api.md).</summary>
internal static class AdminJson
{
    public static void WriteRollout(Utf8JsonWriter writer, Rollout r)
    {
        var spec = r.Spec;
        writer.WriteStartObject();
        writer.WriteNumber("id", r.Id);
        writer.WriteString("endpoint", r.Endpoint);
        writer.WriteString("model", spec.Model);
        writer.WriteString("strategy", DeploymentSpecWriter.StrategyName(spec.Strategy));
        writer.WriteString("phase", RolloutText.Phase(r.Phase));
        writer.WriteNumber("stable_version", r.StableVersion);
        writer.WriteNumber("candidate_version", r.CandidateVersion);
        writer.WriteNumber("step", r.Step);
        writer.WriteStartArray("steps");
        // A shadow lists the canary steps it runs once promoted.
        foreach (var step in spec.Strategy is RolloutStrategy.Canary or RolloutStrategy.Shadow ? spec.Canary.Steps : [100])
        {
            writer.WriteNumberValue(step);
        }

        writer.WriteEndArray();
        writer.WriteNumber("weight", r.CandidateWeight);
        writer.WriteNumber("interval_seconds", spec.Canary.Interval.TotalSeconds);
        writer.WriteString("step_started_at", r.StepStartedAt);
        if (r.Phase == RolloutPhase.Progressing)
        {
            writer.WriteString("next_decision_at", r.StepStartedAt + spec.Canary.Interval);
        }
        else if (r.Phase == RolloutPhase.RollbackWindow && r.RollbackWindowEndsAt is { } ends)
        {
            writer.WriteString("next_decision_at", ends);
        }
        else
        {
            writer.WriteNull("next_decision_at");
        }

        if (r.RollbackWindowEndsAt is { } window)
        {
            writer.WriteString("rollback_window_ends_at", window);
        }
        else
        {
            writer.WriteNull("rollback_window_ends_at");
        }

        writer.WriteString("reason", r.Reason);
        writer.WriteString("created_at", r.CreatedAt);
        writer.WriteString("updated_at", r.UpdatedAt);
        writer.WritePropertyName("analysis");
        if (r.LastAnalysis is { } analysis)
        {
            JsonSerializer.Serialize(writer, AnalysisDto.From(analysis), AnalysisJsonContext.Default.AnalysisDto);
        }
        else if (r.LastExperiment is { } experiment)
        {
            ExperimentReportJson.Write(writer, r.Endpoint, r.Id, DeploymentSpecWriter.StrategyName(spec.Strategy), RolloutText.Phase(r.Phase), experiment);
        }
        else
        {
            writer.WriteNullValue();
        }

        if (r.ShadowReportJson is { } shadow)
        {
            writer.WritePropertyName("shadow");
            writer.WriteRawValue(shadow, skipInputValidation: true);
        }

        writer.WritePropertyName("spec");
        DeploymentSpecWriter.Write(writer, spec);
        writer.WriteEndObject();
    }

    public static void WriteEvent(Utf8JsonWriter writer, RolloutEvent e)
    {
        writer.WriteStartObject();
        writer.WriteNumber("id", e.Id);
        if (e.RolloutId is { } id)
        {
            writer.WriteNumber("rollout_id", id);
        }
        else
        {
            writer.WriteNull("rollout_id");
        }

        writer.WriteString("at", e.At);
        writer.WriteString("kind", e.Kind);
        writer.WriteString("actor", e.Actor);
        writer.WriteString("message", e.Message);
        writer.WritePropertyName("data");
        if (e.DataJson is { } data)
        {
            writer.WriteRawValue(data, skipInputValidation: true);
        }
        else
        {
            writer.WriteNullValue();
        }

        writer.WriteEndObject();
    }

    public static void WriteFault(Utf8JsonWriter writer, string variant, FaultSpec fault)
    {
        writer.WriteStartObject();
        writer.WriteString("variant", variant);
        writer.WriteNumber("abort_fraction", fault.AbortFraction);
        writer.WriteNumber("abort_status", fault.AbortStatus);
        writer.WriteNumber("delay_ms", fault.DelayMs);
        writer.WriteNumber("delay_fraction", fault.DelayFraction);
        writer.WriteEndObject();
    }
}
