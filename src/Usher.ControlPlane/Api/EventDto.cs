using System.Text.Json;
using Usher.ControlPlane.Rollouts;

namespace Usher.ControlPlane.Api;

/// <summary>One audit event.</summary>
/// <param name="Id">Its id.</param>
/// <param name="RolloutId">The rollout it belongs to, or null (a fault, a route change).</param>
/// <param name="At">When.</param>
/// <param name="Kind">deploy, step, analysis, rollback, ...</param>
/// <param name="Actor">controller, operator, config, ...</param>
/// <param name="Message">What happened, with its numbers.</param>
/// <param name="Data">The numbers behind it (an analysis, a spec, a report), or null.</param>
public sealed record EventDto(long Id, long? RolloutId, DateTimeOffset? At, string? Kind, string? Actor, string? Message, JsonElement? Data)
{
    /// <summary>The wire form of <paramref name="e"/>; its stored data is JSON already.</summary>
    internal static EventDto From(RolloutEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        JsonElement? data = null;
        if (e.DataJson is { } json)
        {
            using var document = JsonDocument.Parse(json);
            data = document.RootElement.Clone();
        }

        return new EventDto(e.Id, e.RolloutId, e.At, e.Kind, e.Actor, e.Message, data);
    }
}
