using System.Globalization;
using System.Text.Json;
using Usher.ControlPlane.Api;

namespace Usher.Cli.Admin;

/// <summary>Prints faults: the answers of <c>PUT</c> and <c>DELETE /admin/endpoints/{e}/faults/{version}</c>.</summary>
internal static class FaultView
{
    /// <summary>Writes the answer of setting (<see cref="FaultAnswerDto"/>) or clearing (<see cref="FaultClearedDto"/>) a fault.</summary>
    public static void Write(JsonElement answer, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (answer.ValueKind == JsonValueKind.Object && answer.TryGetProperty("cleared", out _)
            && AdminDto.Read(answer, AdminJsonContext.Default.FaultClearedDto) is { } cleared)
        {
            var (variant, endpoint) = (JsonFields.Text(cleared.Variant), JsonFields.Text(cleared.Endpoint));
            var scope = Scope(cleared.Replica);
            writer.WriteLine(cleared.Cleared
                ? $"cleared the fault on {variant}{scope} (endpoint {endpoint})"
                : $"{variant} had no fault{scope} to clear (endpoint {endpoint})");
            return;
        }

        var set = AdminDto.Read(answer, AdminJsonContext.Default.FaultAnswerDto);
        writer.WriteLine($"fault on {JsonFields.Text(set?.Variant)}{Scope(set?.Fault?.Replica)} (endpoint {JsonFields.Text(set?.Endpoint)}): {Describe(set?.Fault)}");
    }

    /// <summary>Where a fault applies, after its variant: nothing for every replica, <c> on replica ID only</c> for one.</summary>
    public static string Scope(string? replica) => replica is null ? "" : $" on replica {replica} only";

    /// <summary>One fault in a few words: <c>abort 10% with 503; delay 200 ms on 50%</c>, or <c>none</c>.</summary>
    public static string Describe(FaultDto? fault)
    {
        var parts = new List<string>(2);
        if (fault is { AbortFraction: > 0 })
        {
            parts.Add($"abort {JsonFields.Percent(fault.AbortFraction)} with {JsonFields.Text(fault.AbortStatus)}");
        }

        if (fault is { DelayFraction: > 0, DelayMs: > 0 })
        {
            parts.Add($"delay {fault.DelayMs.ToString("0.###", CultureInfo.InvariantCulture)} ms on {JsonFields.Percent(fault.DelayFraction)}");
        }

        return parts.Count == 0 ? "none" : string.Join("; ", parts);
    }
}
