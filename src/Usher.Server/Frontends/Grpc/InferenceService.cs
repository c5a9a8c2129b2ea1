using System.Globalization;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Routing;
using Usher.Core.Scheduling;
using Usher.Server.Access;
using Usher.Server.Admin;
using Usher.Server.Protos;

namespace Usher.Server.Frontends.Grpc;

/// <summary>
/// <c>inference.GRPCInferenceService</c>: a thin mapping of each RPC onto the model manager and the
/// <see cref="InferenceRouter"/>, the same ones the REST endpoints use. Failures end the call with the
/// status <see cref="GrpcErrors"/> maps them to; in <c>ModelStreamInfer</c> they answer the one
/// request in <c>error_message</c> and the stream goes on.
/// </summary>
[BindServiceMethod(typeof(InferenceServiceBinding), nameof(InferenceServiceBinding.BindService))]
internal sealed class InferenceService : GRPCInferenceService.GRPCInferenceServiceBase
{
    private readonly ModelManager _models;
    private readonly InferenceRouter _router;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ControlPlaneHost _controlPlane;
    private readonly FrontendWarmup _warmup;
    private readonly int _retryAfterSeconds;
    private readonly MemoryBudget _budget;
    private readonly long _maxTensorBytes;

    public InferenceService(ModelManager models, InferenceRouter router, IHostApplicationLifetime lifetime, SchedulingContext scheduling, Hosting.ServerOptions server, ControlPlaneHost controlPlane, FrontendWarmup warmup)
    {
        _controlPlane = controlPlane;
        _warmup = warmup;
        _models = models;
        _router = router;
        _lifetime = lifetime;
        _retryAfterSeconds = scheduling.Options.RetryAfterSeconds;
        _budget = scheduling.Budget;
        _maxTensorBytes = server.MaxTensorBytes;
    }

    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context)
        => Task.FromResult(new ServerLiveResponse { Live = true });

    /// <summary>As Triton answers: OK with <c>ready = false</c> while loading, shutting down or with a model that failed.</summary>
    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context)
        => Task.FromResult(new ServerReadyResponse { Ready = ServerReadiness.WhyNotReady(_models, _lifetime, _controlPlane, _warmup) is null });

    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context)
    {
        var (_, slot) = Resolve(request.Name, request.Version);
        return Task.FromResult(new ModelReadyResponse { Ready = slot is { State: ModelState.Ready } or { OnDemand: true } });
    }

    [ApiAccess]
    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context)
    {
        var response = new ServerMetadataResponse { Name = ServerIdentity.Name, Version = ServerIdentity.Version };
        response.Extensions.AddRange(ServerIdentity.Extensions);
        return Task.FromResult(response);
    }

    /// <summary>As over REST, a model that failed to load still answers, with no tensors and its state and reason in <c>properties</c>.</summary>
    [ApiAccess]
    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        var (entry, slot) = Resolve(request.Name, request.Version);
        var loaded = slot?.Loaded;
        var response = new ModelMetadataResponse { Name = entry.Name, Platform = loaded?.Platform ?? _models.Platform };
        response.Versions.AddRange(entry.Versions.Select(s => s.Version.ToString(CultureInfo.InvariantCulture)));
        foreach (var spec in loaded?.Signature.Inputs ?? [])
        {
            response.Inputs.Add(Metadata(spec));
        }

        foreach (var spec in loaded?.Signature.Outputs ?? [])
        {
            response.Outputs.Add(Metadata(spec));
        }

        if (slot is not null)
        {
            response.Properties["version"] = slot.Version.ToString(CultureInfo.InvariantCulture);
        }

        response.Properties["state"] = (slot?.State ?? ModelState.Unavailable).ToString().ToUpperInvariant();
        if ((slot?.Reason ?? entry.Reason) is { } reason)
        {
            response.Properties["reason"] = reason;
        }

        if (loaded is not null)
        {
            response.Properties["max_batch_size"] = loaded.Signature.MaxBatchSize.ToString(CultureInfo.InvariantCulture);
        }

        return Task.FromResult(response);
    }

    [ApiAccess]
    public override async Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context)
    {
        var (routed, response) = await InferAsync(request, Hints(context.RequestHeaders), context.CancellationToken).ConfigureAwait(false);
        if (routed.Variant is not null)
        {
            // Set on the response before anything is written, the header rides in the one HEADERS
            // frame with the status; WriteResponseHeadersAsync would flush a frame of its own.
            context.GetHttpContext().Response.Headers[RouteHints.VariantHeader] = routed.Variant;
        }

        return response ?? throw GrpcErrors.ToException(routed.Result.Error!, _retryAfterSeconds);
    }

    /// <summary>
    /// Answers each request of the stream in turn, in order. Routing metadata sent when the stream
    /// opens applies to every request in it.
    /// </summary>
    [ApiAccess]
    public override async Task ModelStreamInfer(IAsyncStreamReader<ModelInferRequest> requestStream, IServerStreamWriter<ModelStreamInferResponse> responseStream, ServerCallContext context)
    {
        var hints = Hints(context.RequestHeaders);
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken).ConfigureAwait(false))
        {
            var (routed, response) = await InferAsync(request, hints, context.CancellationToken).ConfigureAwait(false);
            var answer = response is not null
                ? new ModelStreamInferResponse { InferResponse = response }
                : new ModelStreamInferResponse
                {
                    ErrorMessage = routed.Result.Error!.Message,
                    InferResponse = new ModelInferResponse { ModelName = request.ModelName, ModelVersion = request.ModelVersion, Id = request.Id },
                };
            await responseStream.WriteAsync(answer, context.CancellationToken).ConfigureAwait(false);
        }
    }

    [ApiAccess]
    public override Task<RepositoryIndexResponse> RepositoryIndex(RepositoryIndexRequest request, ServerCallContext context)
    {
        CheckRepositoryName(request.RepositoryName);
        var response = new RepositoryIndexResponse();
        foreach (var row in _models.Index().Where(r => !request.Ready || r.State == ModelState.Ready))
        {
            response.Models.Add(new RepositoryIndexResponse.Types.ModelIndex
            {
                Name = row.Name,
                Version = row.Version?.ToString(CultureInfo.InvariantCulture) ?? string.Empty,
                State = row.State.ToString().ToUpperInvariant(),
                Reason = row.Reason ?? string.Empty,
            });
        }

        return Task.FromResult(response);
    }

    [AdminAccess]
    public override async Task<RepositoryModelLoadResponse> RepositoryModelLoad(RepositoryModelLoadRequest request, ServerCallContext context)
    {
        CheckRepositoryName(request.RepositoryName);
        context.GetHttpContext().Items[AdminAudit.TargetKey] = request.ModelName;
        var result = await _models.LoadModelAsync(RequireModelName(request.ModelName), context.CancellationToken).ConfigureAwait(false);
        return result.IsSuccess ? new RepositoryModelLoadResponse() : throw GrpcErrors.ToException(result.Error, _retryAfterSeconds);
    }

    [AdminAccess]
    public override async Task<RepositoryModelUnloadResponse> RepositoryModelUnload(RepositoryModelUnloadRequest request, ServerCallContext context)
    {
        CheckRepositoryName(request.RepositoryName);
        context.GetHttpContext().Items[AdminAudit.TargetKey] = request.ModelName;
        var result = await _models.UnloadModelAsync(RequireModelName(request.ModelName), context.CancellationToken).ConfigureAwait(false);
        return result.IsSuccess ? new RepositoryModelUnloadResponse() : throw GrpcErrors.ToException(result.Error, _retryAfterSeconds);
    }

    private async Task<(RoutedInference Routed, ModelInferResponse? Response)> InferAsync(ModelInferRequest request, RouteHints hints, CancellationToken cancellationToken)
    {
        // The request's one measurement (/metrics, the rollout analysis) starts before it is decoded, as REST's does.
        var started = _router.Clock.GetTimestamp();
        InferenceResult<InferenceRequest> decoded;
        using (var memory = new RequestMemory(_budget, _maxTensorBytes))
        {
            // Reserved while the tensors are copied out of the message; the schedulers account for them after.
            decoded = GrpcRequestReader.Read(request, memory);
        }

        if (!decoded.IsSuccess)
        {
            return (new RoutedInference(decoded.Error, null), null);
        }

        var routed = await _router.InferAsync(decoded.Value, hints, started, cancellationToken).ConfigureAwait(false);
        return routed.Result.IsSuccess
            ? (routed, GrpcResponseWriter.Write(routed.Result.Value, raw: request.RawInputContents.Count > 0))
            : (routed, null);
    }

    private (ModelEntry Entry, VersionSlot? Slot) Resolve(string name, string version)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw GrpcErrors.ToException(InferenceError.Invalid("'name' is required: the model to ask about"), _retryAfterSeconds);
        }

        var parsed = ModelLookup.ParseVersion(name, version);
        var resolved = parsed.IsSuccess ? ModelLookup.Resolve(_models, name, parsed.Value) : parsed.Error;
        return resolved.IsSuccess ? resolved.Value : throw GrpcErrors.ToException(resolved.Error, _retryAfterSeconds);
    }

    private void CheckRepositoryName(string name)
    {
        if (!string.IsNullOrEmpty(name))
        {
            throw GrpcErrors.ToException(
                InferenceError.Invalid($"repository_name '{name}': Usher serves one repository; leave repository_name empty"), _retryAfterSeconds);
        }
    }

    private string RequireModelName(string name)
        => string.IsNullOrEmpty(name)
            ? throw GrpcErrors.ToException(InferenceError.Invalid("model_name is required: the model to load or unload"), _retryAfterSeconds)
            : name;

    private static ModelMetadataResponse.Types.TensorMetadata Metadata(Core.Models.TensorSpec spec)
    {
        var tensor = new ModelMetadataResponse.Types.TensorMetadata { Name = spec.Name, Datatype = Core.Tensors.DataTypes.ToProtocolName(spec.DataType) };
        tensor.Shape.AddRange(spec.Shape);
        return tensor;
    }

    private static RouteHints Hints(Metadata headers)
        => new(headers.GetValue(RouteHints.RoutingKeyHeader), headers.GetValue(RouteHints.VariantHeader));
}
