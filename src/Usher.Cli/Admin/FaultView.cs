using System.Globalization;
using System.Text.Json;

namespace Usher.Cli.Admin;

/// <summary>Prints faults: the answers of <c>PUT</c> and <c>DELETE /admin/endpoints/{e}/faults/{version}</c>.</summary>
internal static class FaultView
{
    /// <summary>Writes the answer of setting or clearing a fault.</summary>
    public static void Write(JsonElement answer, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var variant = JsonFields.Text(answer, "variant");
        var endpoint = JsonFields.Text(answer, "endpoint");
        if (JsonFields.Get(answer, "cleared") is { } cleared)
        {
            writer.WriteLine(cleared.ValueKind == JsonValueKind.True
                ? $"cleared the fault on {variant} (endpoint {endpoint})"
                : $"{variant} had no fault to clear (endpoint {endpoint})");
            return;
        }

        var fault = JsonFields.Get(answer, "fault") ?? default;
        writer.WriteLine($"fault on {variant} (endpoint {endpoint}): {Describe(fault)}");
    }

    /// <summary>One fault in a few words: <c>abort 10% with 503; delay 200 ms on 50%</c>, or <c>none</c>.</summary>
    public static string Describe(JsonElement fault)
    {
        var parts = new List<string>(2);
        if (JsonFields.Number(fault, "abort_fraction") is > 0 and var abort)
        {
            parts.Add($"abort {JsonFields.Percent(abort)} with {JsonFields.Text(fault, "abort_status")}");
        }

        if (JsonFields.Number(fault, "delay_fraction") is > 0 and var share && JsonFields.Number(fault, "delay_ms") is > 0 and var delay)
        {
            parts.Add($"delay {delay.ToString("0.###", CultureInfo.InvariantCulture)} ms on {JsonFields.Percent(share)}");
        }

        return parts.Count == 0 ? "none" : string.Join("; ", parts);
    }
}
