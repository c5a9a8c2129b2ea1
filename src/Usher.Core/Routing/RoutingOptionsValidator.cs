using Usher.Core.Hosting;

namespace Usher.Core.Routing;

/// <summary>
/// The rules of <see cref="RoutingOptions"/>, defined once: every problem is reported, each naming
/// its key (<c>routing.observation_queue</c>); run at start-up by <c>ValidateOnStart</c>.
/// </summary>
internal sealed class RoutingOptionsValidator : ProblemsValidator<RoutingOptions>
{
    /// <inheritdoc />
    protected override IEnumerable<string> Check(RoutingOptions options)
    {
        if (options.KeyParameter is { } name && string.IsNullOrWhiteSpace(name))
        {
            yield return "routing.key_parameter: expected a parameter name, got an empty value";
        }

        if (options.ObservationQueue < 1)
        {
            yield return $"routing.observation_queue: expected at least 1, got {options.ObservationQueue}";
        }
    }
}
