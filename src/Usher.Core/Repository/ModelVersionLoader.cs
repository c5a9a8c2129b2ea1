using Usher.Core.Backends;
using Usher.Core.Models;
using Usher.Core.Scheduling;

namespace Usher.Core.Repository;

/// <summary>Loads one version: backend session, signature from metadata and config, scheduler, then warm-up.</summary>
internal sealed class ModelVersionLoader(IModelBackend backend, SchedulingContext scheduling)
{
    /// <summary>The clock every version it loads measures with.</summary>
    public TimeProvider Clock => scheduling.Time;

    /// <summary>
    /// Executors per version: the config's count, or with <c>auto</c> one per core (with one ONNX
    /// Runtime thread each: on few cores, parallel callers beat parallel operators for throughput).
    /// </summary>
    public static int Instances(ModelConfig config) => config.Instances.Count ?? Environment.ProcessorCount;

    /// <summary>
    /// ONNX Runtime intra-op threads per run: the config's, or the cores shared among the instances,
    /// so that instances × threads does not oversubscribe the machine.
    /// </summary>
    public static int IntraOpThreads(ModelConfig config, int instances)
        => config.OnnxRuntime.IntraOpThreads ?? Math.Max(1, Environment.ProcessorCount / instances);

    public async Task<ModelVersion> LoadAsync(RepositoryModel model, RepositoryVersion version, ModelConfig config, CancellationToken cancellationToken)
    {
        if (!File.Exists(version.ModelPath))
        {
            throw new ModelLoadException($"model '{model.Name}' version {version.Version}: no {backend.ModelFileName} in {Path.GetDirectoryName(version.ModelPath)}");
        }

        var instances = Instances(config);
        var context = new BackendLoadContext(model.Name, version.Version, version.ModelPath, config.OnnxRuntime, IntraOpThreads(config, instances));
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
        var loaded = new ModelVersion(model.Name, version.Version, backend.Platform, version.Stamp + "|" + model.ConfigStamp, config, signature, session, instances, scheduling);
        try
        {
            Warmup(loaded, config);
            return loaded;
        }
        catch
        {
            loaded.DisposeUnpublished();
            throw;
        }
    }

    private static void Warmup(ModelVersion version, ModelConfig config)
    {
        var outputs = version.Signature.Outputs.Select(o => version.Signature.ToFileName(o.Name)).ToList();
        foreach (var sample in config.Warmup)
        {
            var inputs = WarmupInputs.Build(sample, version.Signature);
            for (var i = 0; i < sample.Count; i++)
            {
                try
                {
                    version.RunRaw(inputs, outputs);
                }
                catch (Exception ex) when (ex is not ModelLoadException)
                {
                    throw new ModelLoadException($"model '{version.ModelName}' version {version.Version}: warmup '{sample.Name}' failed: {ex.Message}", ex);
                }
            }
        }
    }
}
