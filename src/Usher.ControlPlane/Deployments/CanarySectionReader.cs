using System.Globalization;
using System.Text.Json;

namespace Usher.ControlPlane.Deployments;

/// <summary>Reads a spec's <c>canary</c> section: the steps and the interval.</summary>
internal static class CanarySectionReader
{
    public const string Key = "canary";

    private static readonly string[] Keys = ["steps", "interval"];

    public static CanarySpec Read(JsonElement root, SpecReader reader)
    {
        var spec = CanarySpec.Default;
        if (!reader.Section(root, Key, Keys, out var canary))
        {
            return spec;
        }

        var steps = canary.TryGetProperty("steps", out var stepsNode) && stepsNode.ValueKind != JsonValueKind.Null
            ? Steps(stepsNode, reader) ?? spec.Steps
            : spec.Steps;
        var interval = reader.Duration(canary, Key, "interval") ?? spec.Interval;
        if (interval < TimeSpan.FromSeconds(1))
        {
            reader.Add("canary.interval", $"{Durations.Format(interval)} is too short (at least 1s)");
        }

        return new CanarySpec(steps, interval);
    }

    private static List<int>? Steps(JsonElement node, SpecReader reader)
    {
        const string path = "canary.steps";
        if (node.ValueKind != JsonValueKind.Array)
        {
            reader.Add(path, "expected a list of weights in percent, e.g. [5, 25, 50, 100]");
            return null;
        }

        var list = new List<int>();
        var index = 0;
        foreach (var item in node.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Number && item.TryGetInt32(out var weight) && weight is >= 1 and <= 100)
            {
                list.Add(weight);
            }
            else
            {
                reader.Add(SpecReader.Item(path, index), $"{SpecReader.Describe(item)} is not a weight (expected an integer from 1 to 100)");
            }

            index++;
        }

        if (list.Count < index)
        {
            // A refused weight is reported once: the order rules would only blame it again.
            return null;
        }

        if (list.Count == 0)
        {
            reader.Add(path, "expected at least one step, ending at 100, e.g. [5, 25, 50, 100]");
            return null;
        }

        if (list[0] == 100)
        {
            reader.Add(path, "[100] leaves no step to analyze (steps below 100 are judged; reaching 100 is the promotion); use strategy direct to switch at once");
            return null;
        }

        if (list[^1] != 100)
        {
            reader.Add(path, string.Create(CultureInfo.InvariantCulture, $"the last step is {list[^1]}, expected 100 (the canary ends with all traffic)"));
        }

        if (list.Zip(list.Skip(1)).Any(p => p.Second <= p.First))
        {
            reader.Add(path, $"[{string.Join(", ", list)}] must be strictly ascending");
        }

        return list;
    }
}
