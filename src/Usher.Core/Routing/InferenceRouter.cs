using Usher.Core.Inference;
using Usher.Core.Repository;

namespace Usher.Core.Routing;

/// <summary>
/// The one entry every frontend calls to run a request: picks the variant (a pinned version, or the
/// endpoint's route table), takes a lease on it, runs the request and releases the lease.
/// </summary>
public sealed class InferenceRouter
{
    private readonly ModelManager _models;

    /// <summary>Creates a router over the loaded models.</summary>
    public InferenceRouter(ModelManager models)
    {
        ArgumentNullException.ThrowIfNull(models);
        _models = models;
    }

    /// <summary>
    /// Runs <paramref name="request"/>: on <see cref="InferenceRequest.ModelVersion"/> when it is set
    /// (bypassing routing), otherwise on the variant the endpoint <see cref="InferenceRequest.ModelName"/> routes to.
    /// </summary>
    public async ValueTask<RoutedInference> InferAsync(InferenceRequest request, RouteHints hints, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var lease = _models.Acquire(request.ModelName, request.ModelVersion);
        if (!lease.IsSuccess)
        {
            return new RoutedInference(lease.Error, null);
        }

        var model = lease.Value;
        try
        {
            var result = await model.InferAsync(request, cancellationToken).ConfigureAwait(false);
            return new RoutedInference(result, model.ModelName + ":" + model.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        finally
        {
            model.Release();
        }
    }
}
