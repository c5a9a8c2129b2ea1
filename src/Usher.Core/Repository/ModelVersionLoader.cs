using Usher.Core.Backends;
using Usher.Core.Models;

namespace Usher.Core.Repository;

/// <summary>Loads one version: backend session, signature from metadata and config, then warm-up.</summary>
internal sealed class ModelVersionLoader(IModelBackend backend)
{
    public async Task<ModelVersion> LoadAsync(RepositoryModel model, RepositoryVersion version, ModelConfig config, CancellationToken cancellationToken)
    {
        if (!File.Exists(version.ModelPath))
        {
            throw new ModelLoadException($"model '{model.Name}' version {version.Version}: no {backend.ModelFileName} in {Path.GetDirectoryName(version.ModelPath)}");
        }

        var threads = config.OnnxRuntime.IntraOpThreads ?? Environment.ProcessorCount;
        var context = new BackendLoadContext(model.Name, version.Version, version.ModelPath, config.OnnxRuntime, threads);
        var session = await backend.LoadAsync(context, cancellationToken).ConfigureAwait(false);
        try
        {
            var signature = ModelSignatureBuilder.Build(model.Name, config, session.Inputs, session.Outputs);
            var loaded = new ModelVersion(model.Name, version.Version, backend.Platform, version.Stamp + "|" + model.ConfigStamp, config, signature, session);
            Warmup(loaded, config);
            return loaded;
        }
        catch
        {
            session.Dispose();
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
