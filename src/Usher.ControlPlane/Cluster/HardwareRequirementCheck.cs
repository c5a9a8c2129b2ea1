using Microsoft.Extensions.Logging;
using Usher.Core.Telemetry;

namespace Usher.ControlPlane.Cluster;

/// <summary>
/// Warns, once per model and requirement, when a replica reports a model version whose <c>hardware:</c>
/// requirement the replica's own <c>hw</c> label does not meet. The version still loads and answers
/// calls made to the replica directly; the gateway sends it none of the model's requests.
/// </summary>
/// <param name="labels">The replica's labels.</param>
/// <param name="logger">Where the warning goes.</param>
internal sealed partial class HardwareRequirementCheck(IReadOnlyDictionary<string, string> labels, ILogger logger)
{
    // Only the heartbeat's rounds call it, one after another.
    private readonly HashSet<(string Model, string Requirement)> _warned = [];

    /// <summary>Warns for each model of <paramref name="load"/> that requires hardware this replica does not offer, unless it did already.</summary>
    /// <returns>The model and requirement of each warning given now.</returns>
    public IReadOnlyList<(string Model, string Requirement)> Check(ReplicaLoad load)
    {
        ArgumentNullException.ThrowIfNull(load);
        List<(string, string)>? warned = null;
        foreach (var model in load.Models)
        {
            if (model.Hardware is { } requirement
                && !HardwareLabel.Satisfies(labels, requirement)
                && _warned.Add((model.Model, requirement.ToLowerInvariant())))
            {
                var offered = labels.Count == 0 ? "none" : string.Join(",", labels.Select(l => $"{l.Key}={l.Value}"));
                LogUnmet(logger, model.Model, requirement, offered);
                (warned ??= []).Add((model.Model, requirement));
            }
        }

        return warned ?? [];
    }

    [LoggerMessage(
        EventId = LogEvents.ModelHardwareUnmet,
        Level = LogLevel.Warning,
        Message = "Model '{Model}' requires hardware '{Requirement}' (hardware: in its config.yaml) but this replica's labels are {Labels} (no hw={Requirement}): it answers calls made to it directly, and the gateway sends it none of the model's requests")]
    private static partial void LogUnmet(ILogger logger, string model, string requirement, string labels);
}
