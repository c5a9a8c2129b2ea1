using System.Globalization;
using Usher.ControlPlane.Deployments;
using Usher.Core.Inference;
using Usher.Core.Routing;

namespace Usher.ControlPlane.Rollouts;

/// <summary>
/// Validates a blue-green candidate before it takes traffic: replays the endpoint's recent requests
/// on the serving version and on the candidate (pinned, so no client ever sees the candidate) and
/// measures how many answers agree.
/// </summary>
internal static class BlueGreenValidator
{
    /// <summary>The outcome: passed, and a sentence with the numbers.</summary>
    public sealed record Outcome(bool Passed, string Message);

    public static async Task<Outcome> ValidateAsync(
        InferenceRouter router, TrafficRecorder recorder, DeploymentSpec spec, long stable, CancellationToken cancellationToken)
    {
        if (spec.BlueGreen.Agreement is not { } agreement)
        {
            return new Outcome(true, "validation skipped (blue_green.validation is null)");
        }

        var recorded = recorder.RecentRequestsOf(spec.Endpoint);
        var replay = recorded.Skip(Math.Max(0, recorded.Count - agreement.Samples)).ToList();
        if (replay.Count == 0)
        {
            return new Outcome(false, $"no recorded requests to compare on: endpoint '{spec.Endpoint}' has served none since the server started; send traffic first, or set blue_green.validation to null to switch without validation");
        }

        var agreed = 0;
        string? firstDisagreement = null;
        foreach (var request in replay)
        {
            var before = await router.InferAsync(Pinned(request, spec.Model, stable), default, cancellationToken).ConfigureAwait(false);
            var after = await router.InferAsync(Pinned(request, spec.Model, spec.Version), default, cancellationToken).ConfigureAwait(false);
            if (!after.Result.IsSuccess)
            {
                if (before.Result.IsSuccess)
                {
                    firstDisagreement ??= $"version {spec.Version} failed a request version {stable} answered: {after.Result.Error.Message}";
                    continue;
                }

                agreed++;
                continue;
            }

            if (!before.Result.IsSuccess)
            {
                // The serving version failed it too (e.g. it was malformed for both): nothing to compare.
                agreed++;
                continue;
            }

            var difference = OutputAgreement.Compare(before.Result.Value.Outputs, after.Result.Value.Outputs, agreement.Tolerance, agreement.Outputs ?? []);
            if (difference is null)
            {
                agreed++;
            }
            else
            {
                firstDisagreement ??= difference;
            }
        }

        var share = agreed / (double)replay.Count;
        var summary = string.Create(
            CultureInfo.InvariantCulture,
            $"{agreed} of {replay.Count} recorded requests agree between version {stable} and version {spec.Version} ({share * 100:0.#}%; required {agreement.MinAgreement * 100:0.#}%, tolerance {agreement.Tolerance:G4})");
        return share >= agreement.MinAgreement
            ? new Outcome(true, summary)
            : new Outcome(false, summary + (firstDisagreement is null ? "" : $"; first difference: {firstDisagreement}"));
    }

    /// <summary>
    /// Runs up to <see cref="WarmUpRequests"/> of the endpoint's recent requests on the candidate
    /// before it takes traffic, so that its first clients (and the latency analysis) do not pay for
    /// a cold session. Failures are ignored here: the analysis judges the candidate.
    /// </summary>
    public static async Task WarmUpAsync(InferenceRouter router, TrafficRecorder recorder, DeploymentSpec spec, CancellationToken cancellationToken)
    {
        var recorded = recorder.RecentRequestsOf(spec.Endpoint);
        foreach (var request in recorded.Skip(Math.Max(0, recorded.Count - WarmUpRequests)))
        {
            await router.InferAsync(Pinned(request, spec.Model, spec.Version), default, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>How many recent requests warm a candidate up.</summary>
    public const int WarmUpRequests = 16;

    private static InferenceRequest Pinned(InferenceRequest request, string model, long version) => new()
    {
        ModelName = model,
        ModelVersion = version,
        Id = request.Id,
        Inputs = request.Inputs,
        Outputs = request.Outputs,
    };
}
