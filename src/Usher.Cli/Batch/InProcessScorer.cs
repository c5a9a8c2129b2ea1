using Usher.Core.Inference;
using Usher.Core.Repository;
using Usher.Core.Tensors;
using Usher.Engine;

namespace Usher.Cli.Batch;

/// <summary>
/// Scores in this process on <see cref="UsherEngine"/>, the path an embedding application takes:
/// the engine loads the model per its config.yaml (instances, ONNX Runtime settings, warm-up) and
/// every batch goes through the engine's request path (the version's validation, scheduler,
/// instance pool and metrics), as a request to <c>usher serve</c> would; except for a model of one
/// input and one output, whose batches run on <see cref="DirectBatchWorkers"/> (the engine's fast path,
/// <see cref="ModelSession"/>: the version's session and metrics, without the queue), one thread per
/// instance, straight into the chunk's output buffer.
/// </summary>
internal sealed class InProcessScorer : IBatchScorer
{
    private readonly UsherEngine _engine;

    private InProcessScorer(UsherEngine engine, BatchModel model, DirectBatchWorkers? direct)
    {
        _engine = engine;
        Model = model;
        Direct = direct;
    }

    /// <inheritdoc />
    public BatchModel Model { get; }

    /// <inheritdoc />
    public DirectBatchWorkers? Direct { get; }

    /// <summary>Loads <paramref name="model"/> from <paramref name="repository"/>; null with the problems when it cannot.</summary>
    public static async Task<InProcessScorer?> OpenAsync(string repository, string model, long? version, List<string> problems, CancellationToken cancellationToken)
    {
        var options = new UsherEngineOptions { Repository = new RepositoryOptions { Path = repository, LoadParallelism = 1 }, Models = [model] };
        problems.AddRange(options.Repository.Validate());
        if (problems.Count > 0)
        {
            return null;
        }

        UsherEngine engine;
        try
        {
            engine = await UsherEngine.OpenAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (UsherEngineException ex)
        {
            problems.Add($"{ex.Message} (models in {repository}: {Known(repository)})");
            return null;
        }

        var described = engine.Describe(model, version);
        if (!described.IsSuccess)
        {
            problems.Add($"{described.Error.Message} (models in {repository}: {Known(repository)})");
            await engine.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        var v = described.Value;
        var instances = v.Config.Instances.Count ?? Environment.ProcessorCount;
        var view = BatchModel.From(model, v.Version, v.Signature.MaxBatchSize, v.Signature.Inputs, v.Signature.Outputs, instances * 2, problems);
        if (view is null)
        {
            await engine.DisposeAsync().ConfigureAwait(false);
            return null;
        }

        DirectBatchWorkers? direct;
        try
        {
            direct = DirectBatchWorkers.TryCreate(view, instances, () => engine.GetSession(model, v.Version, view.Outputs[0].Name));
        }
        catch (UsherEngineException)
        {
            // The backend has no fast path for this model: every batch goes through the request path.
            direct = null;
        }

        return new InProcessScorer(engine, view, direct);
    }

    /// <inheritdoc />
    public async ValueTask<InferenceResult<IReadOnlyList<Tensor>>> ScoreAsync(IReadOnlyList<Tensor> inputs, int rows, CancellationToken cancellationToken)
    {
        // Pinned to the version the job described, so that every batch of a run (and of a resumed run) uses the same one.
        var request = new InferenceRequest { ModelName = Model.Name, ModelVersion = Model.Version, Inputs = inputs };
        var answer = await _engine.RunAsync(request, cancellationToken).ConfigureAwait(false);
        return answer.IsSuccess ? InferenceResult<IReadOnlyList<Tensor>>.Success(answer.Value.Outputs) : answer.Error;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Direct?.Dispose();
        return _engine.DisposeAsync();
    }

    private static string Known(string repository)
    {
        var names = Directory.Exists(repository)
            ? Directory.EnumerateDirectories(repository).Select(Path.GetFileName).Where(n => n is { Length: > 0 } && n[0] != '.').Order(StringComparer.Ordinal).ToList()
            : [];
        return names.Count == 0 ? "none" : string.Join(", ", names);
    }
}
