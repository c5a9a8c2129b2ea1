using System.Text;
using System.Text.Json;
using Usher.ControlPlane.Deployments;
using Usher.Core.Routing;
using Usher.Core.Tensors;

namespace Usher.ControlPlane.Shadow;

/// <summary>The <c>shadow</c> object of the admin API's rollout status (docs/admin-api.md).</summary>
internal static class ShadowJson
{
    /// <summary>Tensor values written per input or output of a disagreement; the rest is cut ("truncated": true).</summary>
    public const int MaxValues = 64;

    public static string Write(ShadowReport report, ShadowTarget target, string primary, ShadowCounts counts, ShadowGateSpec? gate)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("primary", primary);
            w.WriteString("shadow", target.Name);
            w.WriteNumber("percent", target.Percent);
            w.WriteNumber("queue_capacity", target.QueueCapacity);
            w.WriteString("since", report.Since);
            w.WriteNumber("pairs", report.Pairs);
            w.WriteNumber("mirrored", counts.Mirrored);
            w.WriteNumber("failed", counts.Failed);
            w.WriteNumber("dropped", counts.Dropped);
            w.WriteNumber("queued", counts.Queued);

            w.WriteStartObject("agreement");
            w.WriteString("basis", report.Basis);
            w.WriteNumber("compared", report.Compared);
            w.WriteNumber("agreed", report.Agreed);
            w.WriteNumber("rate", report.Agreement);
            w.WriteNumber("ci_low", report.AgreementInterval.Low);
            w.WriteNumber("ci_high", report.AgreementInterval.High);
            w.WriteNumber("confidence", 0.95);
            w.WriteEndObject();

            w.WriteStartArray("confusion");
            foreach (var (p, s, count) in report.Confusion)
            {
                w.WriteStartObject();
                w.WriteString("primary", p);
                w.WriteString("shadow", s);
                w.WriteNumber("count", count);
                w.WriteEndObject();
            }

            w.WriteEndArray();

            w.WriteStartObject("scores");
            w.WriteNumber("rows", report.ScoreRows);
            w.WriteNumber("mean_abs_diff", report.MeanAbsDifference);
            w.WriteNumber("max_abs_diff", report.MaxAbsDifference);
            WriteNullable(w, "psi", report.Psi);
            WriteNullable(w, "ks_d", report.KolmogorovSmirnov?.D);
            WriteNullable(w, "ks_p", report.KolmogorovSmirnov?.P);
            w.WriteEndObject();

            w.WriteStartObject("latency_ms");
            w.WriteNumber("samples", report.LatencySamples);
            w.WriteNumber("primary_p50", report.PrimaryLatencyMs.P50);
            w.WriteNumber("primary_p99", report.PrimaryLatencyMs.P99);
            w.WriteNumber("shadow_p50", report.ShadowLatencyMs.P50);
            w.WriteNumber("shadow_p99", report.ShadowLatencyMs.P99);
            w.WriteEndObject();

            if (gate is null)
            {
                w.WriteNull("gate");
            }
            else
            {
                var (passed, detail) = ShadowGate.Evaluate(gate, report);
                w.WriteStartObject("gate");
                w.WriteNumber("min_agreement", gate.MinAgreement);
                w.WriteNumber("max_latency_p99_ratio", gate.MaxLatencyP99Ratio);
                w.WriteNumber("min_samples", gate.MinSamples);
                w.WriteBoolean("passed", passed);
                w.WriteString("detail", detail);
                w.WriteEndObject();
            }

            w.WriteStartArray("disagreements");
            foreach (var d in report.Disagreements)
            {
                w.WriteStartObject();
                w.WriteString("at", d.At);
                WriteTensors(w, "inputs", d.Inputs);
                WriteTensors(w, "primary_outputs", d.Primary);
                if (d.Shadow is null)
                {
                    w.WriteNull("shadow_outputs");
                }
                else
                {
                    WriteTensors(w, "shadow_outputs", d.Shadow);
                }

                w.WriteString("error", d.Error);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteNullable(Utf8JsonWriter w, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            w.WriteNumber(name, v);
        }
        else
        {
            w.WriteNull(name);
        }
    }

    private static void WriteTensors(Utf8JsonWriter w, string name, IReadOnlyList<Tensor> tensors)
    {
        w.WriteStartArray(name);
        foreach (var t in tensors)
        {
            w.WriteStartObject();
            w.WriteString("name", t.Name);
            w.WriteString("datatype", t.DataType.ToProtocolName());
            w.WriteStartArray("shape");
            foreach (var d in t.Shape)
            {
                w.WriteNumberValue(d);
            }

            w.WriteEndArray();
            w.WriteStartArray("data");
            var count = WriteValues(w, t);
            w.WriteEndArray();
            w.WriteBoolean("truncated", count < t.ElementCount);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static int WriteValues(Utf8JsonWriter w, Tensor t)
    {
        switch (t.DataType)
        {
            case DataType.Fp32:
                return Write(w, t.AsSpan<float>(), v => WriteFloat(w, v));
            case DataType.Fp64:
                return Write(w, t.AsSpan<double>(), v => WriteFloat(w, v));
            case DataType.Int64:
                return Write(w, t.AsSpan<long>(), v => w.WriteNumberValue(v));
            case DataType.Int32:
                return Write(w, t.AsSpan<int>(), v => w.WriteNumberValue(v));
            case DataType.Bytes:
                var strings = t.Strings ?? [];
                var n = Math.Min(strings.Length, MaxValues);
                for (var i = 0; i < n; i++)
                {
                    w.WriteStringValue(Encoding.UTF8.GetString(strings[i]));
                }

                return n;
            default:
                // Other datatypes are shown by name and shape only.
                return 0;
        }
    }

    private static void WriteFloat(Utf8JsonWriter w, double value)
    {
        if (double.IsFinite(value))
        {
            w.WriteNumberValue(value);
        }
        else
        {
            w.WriteNullValue();
        }
    }

    private static int Write<T>(Utf8JsonWriter w, ReadOnlySpan<T> values, Action<T> write)
        where T : unmanaged
    {
        var n = Math.Min(values.Length, MaxValues);
        for (var i = 0; i < n; i++)
        {
            write(values[i]);
        }

        return n;
    }
}
