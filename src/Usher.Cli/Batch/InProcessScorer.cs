using Usher.Backends.Onnx;
using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Scheduling;
using Usher.Core.Tensors;

namespace Usher.Cli.Batch;

/// <summary>
/// Scores in this process through the server's own pipeline: the repository's
/// <see cref="ModelManager"/> loads the model per its config.yaml (instances, ONNX Runtime
/// settings, warm-up) and every batch goes through <see cref="ModelVersion.InferAsync(InferenceRequest, CancellationToken)"/>, with its
/// validation, scheduler, instance pool and metrics, as a request to <c>usher serve</c> would.
/// </summary>
internal sealed class InProcessScorer : IBatchScorer
{
    private readonly ModelManager _manager;
    private readonly ModelVersion _version;

    private InProcessScorer(ModelManager manager, ModelVersion version, BatchModel model)
    {
        _manager = manager;
        _version = version;
        Model = model;
    }

    /// <inheritdoc />
    public BatchModel Model { get; }

    /// <summary>Loads <paramref name="model"/> from <paramref name="repository"/>; null with the problems when it cannot.</summary>
    public static async Task<InProcessScorer?> OpenAsync(string repository, string model, long? version, List<string> problems, CancellationToken cancellationToken)
    {
        var options = new RepositoryOptions { Path = repository, LoadParallelism = 1 };
        problems.AddRange(options.Validate());
        if (problems.Count > 0)
        {
            return null;
        }

        var manager = new ModelManager(new OnnxBackend(), options, logger: null, SchedulingContext.Default());
        var loaded = await manager.LoadModelAsync(model, cancellationToken).ConfigureAwait(false);
        var lease = manager.Acquire(model, version);
        if (!lease.IsSuccess)
        {
            var why = loaded.IsSuccess ? lease.Error.Message : loaded.Error.Message;
            var known = string.Join(", ", manager.Index().Select(e => e.Name).Distinct(StringComparer.Ordinal));
            problems.Add($"{why} (models in {repository}: {(known.Length == 0 ? "none" : known)})");
            await manager.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        var v = lease.Value;
        var instances = v.Config.Instances.Count ?? Environment.ProcessorCount;
        var view = BatchModel.From(model, v.Version, v.Signature.MaxBatchSize, v.Signature.Inputs, v.Signature.Outputs, instances * 2, problems);
        if (view is null)
        {
            v.Release();
            await manager.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        return new InProcessScorer(manager, v, view);
    }

    /// <inheritdoc />
    public async ValueTask<InferenceResult<IReadOnlyList<Tensor>>> ScoreAsync(IReadOnlyList<Tensor> inputs, int rows, CancellationToken cancellationToken)
    {
        var request = new InferenceRequest { ModelName = Model.Name, ModelVersion = Model.Version, Inputs = inputs };
        var answer = await _version.InferAsync(request, cancellationToken).ConfigureAwait(false);
        return answer.IsSuccess ? InferenceResult<IReadOnlyList<Tensor>>.Success(answer.Value.Outputs) : answer.Error;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _version.Release();
        await _manager.DisposeAsync().ConfigureAwait(false);
    }
}
