using Usher.ControlPlane.Deployments;
using Usher.ControlPlane.Rollouts.Strategies;
using Usher.Core.Repository;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts;

/// <summary>
/// Decides whether a deployment may start: one rollout per endpoint, a known endpoint and model, every
/// version it names in the repository, the same model as the one serving, and the strategy's own rules
/// (<see cref="IRolloutStrategy.Admit"/>). A real start and a dry run (<see cref="RolloutController.Check"/>)
/// both ask here, so they refuse the same deployments with the same messages.
/// </summary>
internal sealed class RolloutAdmission(ModelManager models, EndpointRoutes routes, RolloutJournal journal)
{
    /// <summary>An admitted deployment: the spec to start and the variant serving the endpoint now.</summary>
    public sealed record Admitted(DeploymentSpec Spec, RouteVariant Serving);

    public ControlResult<Admitted> Admit(DeploymentSpec spec, IRolloutStrategy strategy)
    {
        if (journal.Active.TryGetValue(spec.Endpoint, out var running))
        {
            return ControlError.Conflict($"endpoint '{spec.Endpoint}' has an active rollout: {RolloutTransitions.Describe(running)} is {RolloutText.Phase(running.Phase)}; promote it, roll it back or wait for it to finish");
        }

        var serving = routes.Find(spec.Endpoint)?.Variants.OrderByDescending(v => v.Weight).First();
        if (serving is null)
        {
            if (models.Find(spec.Endpoint)?.NewestReady is not { } newest)
            {
                return ControlError.NotFound($"unknown endpoint '{spec.Endpoint}': no model of that name is loaded (see `usher endpoints`)");
            }

            serving = new RouteVariant(spec.Endpoint, newest.Version, 100);
        }

        if (models.Find(spec.Model) is null)
        {
            return ControlError.NotFound($"unknown model '{spec.Model}' (see `usher endpoints`)");
        }

        if (MissingVersions(spec) is { } missing)
        {
            return missing;
        }

        var admitted = strategy.Admit(spec, serving);
        if (!admitted.IsSuccess)
        {
            return admitted.Error;
        }

        if (serving.Model != spec.Model)
        {
            return ControlError.Invalid($"endpoint '{spec.Endpoint}' is served by model '{serving.Model}'; a rollout moves it between versions of that model, not to model '{spec.Model}'");
        }

        return ControlResult<Admitted>.Success(new Admitted(admitted.Value, serving));
    }

    // The versions a spec names (an experiment's arms, else the candidate) must have a folder in the
    // repository; a folder that is there but fails to load aborts the started rollout instead.
    private ControlError? MissingVersions(DeploymentSpec spec)
    {
        var onDisk = models.VersionsOnDisk(spec.Model) ?? [];
        IEnumerable<long> named = spec.Ab.Variants.Count > 0 ? spec.Ab.Variants.Select(v => v.Version) : [spec.Version];
        var missing = named.Where(v => !onDisk.Contains(v)).Distinct().Order().ToList();
        if (missing.Count == 0)
        {
            return null;
        }

        var versions = string.Join(", ", missing);
        var present = onDisk.Count == 0 ? "none" : string.Join(", ", onDisk);
        return ControlError.NotFound($"model '{spec.Model}' has no version {versions} in the repository (versions on disk: {present}); add the folder <repository>/{spec.Model}/{missing[0]}/ first");
    }

    /// <summary>The rule of every strategy but the experiments: the candidate is not what serves now.</summary>
    public static ControlResult<DeploymentSpec> NotServing(DeploymentSpec spec, RouteVariant serving)
        => serving.Model == spec.Model && serving.Version == spec.Version
            ? ControlError.Conflict($"version {spec.Version} of '{spec.Model}' already serves endpoint '{spec.Endpoint}'")
            : ControlResult<DeploymentSpec>.Success(spec);
}
