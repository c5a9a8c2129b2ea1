using Usher.Core.Backends;
using Usher.Core.Models;
using Usher.Core.Inference;
using Usher.Core.RequestLogging;
using Usher.Core.Scheduling;
using Usher.Core.Tensors;

namespace Usher.Core.Repository;

/// <summary>Loads one version: backend session, signature from metadata and config, scheduler, then warm-up.</summary>
internal sealed class ModelVersionLoader(IModelBackend backend, SchedulingContext scheduling)
{
    /// <summary>The clock every version it loads measures with.</summary>
    public TimeProvider Clock => scheduling.Time;

    /// <summary>Asks the backend for sessions that give their memory back when released (<see cref="BackendLoadContext.ReturnsMemory"/>): under a memory budget.</summary>
    public bool ReturnsMemory { get; init; }

    /// <summary>
    /// Executors per version at load: the config's count, the range's min, or with <c>auto</c> one
    /// per core (with one ONNX Runtime thread each: on few cores, parallel callers beat parallel
    /// operators for throughput).
    /// </summary>
    public static int Instances(ModelConfig config)
        => config.Instances.Count ?? config.Instances.Scaling?.Min ?? Environment.ProcessorCount;

    /// <summary>
    /// The most executors a version may run: its count, or for a range its max, lowered so that
    /// instances × intra-op threads fits the cores (<see cref="InstanceAutoscaler.CoreBound"/>).
    /// </summary>
    public static int MostInstances(ModelConfig config, int instances)
        => config.Instances.Scaling is { } scaling
            ? InstanceAutoscaler.CoreBound(scaling, IntraOpThreads(config, scaling.Max), Environment.ProcessorCount)
            : instances;

    /// <summary>
    /// ONNX Runtime intra-op threads per run: the config's, or the cores shared among the instances,
    /// so that instances × threads does not oversubscribe the machine.
    /// </summary>
    public static int IntraOpThreads(ModelConfig config, int instances)
        => config.OnnxRuntime.IntraOpThreads ?? Math.Max(1, Environment.ProcessorCount / instances);

    public async Task<ModelVersion> LoadAsync(RepositoryModel model, RepositoryVersion version, ModelConfig config, CancellationToken cancellationToken, RequestLog? requestLog = null)
    {
        if (!File.Exists(version.ModelPath))
        {
            throw new ModelLoadException($"model '{model.Name}' version {version.Version}: no {backend.ModelFileName} in {Path.GetDirectoryName(version.ModelPath)}");
        }

        var instances = Instances(config);
        var context = new BackendLoadContext(model.Name, version.Version, version.ModelPath, config.OnnxRuntime, IntraOpThreads(config, config.Instances.Scaling?.Max ?? instances)) { ReturnsMemory = ReturnsMemory };
        var session = await backend.LoadAsync(context, cancellationToken).ConfigureAwait(false);
        ModelSignature signature;
        try
        {
            signature = ModelSignatureBuilder.Build(model.Name, config, session.Inputs, session.Outputs);
        }
        catch
        {
            session.Dispose();
            throw;
        }

        // From here the version owns the session: disposing the version releases it.
        var loaded = new ModelVersion(model.Name, version.Version, backend.Platform, version.Stamp + "|" + model.ConfigStamp, config, signature, session, instances, scheduling)
        {
            RequestLog = requestLog,
        };
        try
        {
            await WarmUpAsync(loaded, config, cancellationToken).ConfigureAwait(false);
            return loaded;
        }
        catch
        {
            await loaded.DisposeUnpublishedAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Pipeline runs of each warm-up sample beyond its configured count, at most.</summary>
    internal const int PipelineRuns = 16;

    /// <summary>
    /// Time the pipeline runs of one version may take, when their count is not reached: a model
    /// that takes seconds per run is warm after one.
    /// </summary>
    internal static readonly TimeSpan PipelineBudget = TimeSpan.FromMilliseconds(200);

    // Each sample runs its configured count on the session alone (the model's own first runs: ONNX
    // Runtime's allocations and kernels), then through the whole pipeline a client's request takes
    // (ModelVersion.WarmUpAsync: validation, the batcher, the backend, the response), so that the
    // first clients of a new version, or of a freshly started server, do not pay for first calls and
    // unoptimized code. With a queue delay or a latency target a lone request would wait for a batch
    // (and, on a test's fake clock, forever): those versions warm up on the session alone.
    // With no sample configured, a zeros request of batch 1 does the same; a model
    // that cannot run zeros is not refused for it (a configured sample that fails is).
    private async Task WarmUpAsync(ModelVersion version, ModelConfig config, CancellationToken cancellationToken)
    {
        var configured = config.Warmup.Count > 0;
        var samples = configured ? config.Warmup : [DefaultSample];
        var outputs = version.Signature.Outputs.Select(o => version.Signature.ToFileName(o.Name)).ToList();
        foreach (var sample in samples)
        {
            IReadOnlyList<Tensor> inputs;
            try
            {
                inputs = WarmupInputs.Build(sample, version.Signature);
            }
            catch (ModelLoadException) when (!configured)
            {
                return;
            }

            try
            {
                for (var i = 0; i < sample.Count; i++)
                {
                    version.RunRaw(inputs, outputs);
                }
            }
            catch (Exception ex) when (ex is not ModelLoadException)
            {
                if (!configured)
                {
                    return;
                }

                throw new ModelLoadException($"model '{version.ModelName}' version {version.Version}: warmup '{sample.Name}' failed: {ex.Message}", ex);
            }

            if (!version.WarmsUpThroughPipeline)
            {
                continue;
            }

            var request = PipelineRequest(version, inputs);
            var started = Clock.GetTimestamp();
            for (var i = 0; i < PipelineRuns && (i == 0 || Clock.GetElapsedTime(started) < PipelineBudget); i++)
            {
                var answered = await version.WarmUpAsync(request, cancellationToken).ConfigureAwait(false);
                if (!answered.IsSuccess)
                {
                    if (!configured)
                    {
                        return;
                    }

                    throw new ModelLoadException($"model '{version.ModelName}' version {version.Version}: warmup '{sample.Name}' failed through the pipeline: {answered.Error.Message}");
                }
            }
        }
    }

    /// <summary>The sample run when the config names none: zeros, batch 1, once on the session.</summary>
    internal static readonly WarmupSample DefaultSample = new("default", 1, 1, new Dictionary<string, WarmupInput>());

    // The warm-up tensors carry the session's (file) names; a client's request names inputs as the
    // signature shows them.
    private static InferenceRequest PipelineRequest(ModelVersion version, IReadOnlyList<Tensor> inputs)
    {
        var named = new Tensor[inputs.Count];
        for (var i = 0; i < named.Length; i++)
        {
            named[i] = inputs[i].WithName(version.Signature.Inputs[i].Name);
        }

        return new InferenceRequest { ModelName = version.ModelName, ModelVersion = version.Version, Id = "warmup", Inputs = named };
    }
}
