using Usher.Core.Backends;
using Usher.Core.Tensors;

namespace Usher.Core.Models;

/// <summary>
/// Derives a <see cref="ModelSignature"/> from the model file's metadata and the config. A model is
/// batched when the config says so (<c>max_batch_size</c> &gt; 0) or, without a setting, when every
/// input and output has a dynamic first dimension; a batch dimension anywhere else (Silero's state
/// is [2,B,128]) or a fixed first dimension means the model is served unbatched.
/// </summary>
internal static class ModelSignatureBuilder
{
    /// <summary>The batching limit of a model that is batchable and whose config does not set one.</summary>
    public const int DefaultMaxBatchSize = 64;

    /// <summary>Builds the signature, or throws <see cref="ModelLoadException"/> naming every conflict.</summary>
    public static ModelSignature Build(string modelName, ModelConfig config, IReadOnlyList<TensorSpec> fileInputs, IReadOnlyList<TensorSpec> fileOutputs)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(fileInputs);
        ArgumentNullException.ThrowIfNull(fileOutputs);
        var errors = new List<string>();
        var all = fileInputs.Concat(fileOutputs).ToList();
        var batchable = all.Count > 0 && all.All(t => t.Shape.Length > 0 && t.Shape[0] < 0);
        int maxBatch;
        if (config.MaxBatchSize is int configured)
        {
            maxBatch = configured;
            if (configured > 0)
            {
                foreach (var t in all.Where(t => t.Shape.Length == 0 || t.Shape[0] >= 0))
                {
                    errors.Add($"max_batch_size {configured} needs a dynamic first (batch) dimension on every input and output, but '{t.Name}' has {TensorShape.Format(t.Shape)}; set max_batch_size: 0 to serve it unbatched");
                }
            }
        }
        else
        {
            maxBatch = batchable ? DefaultMaxBatchSize : 0;
        }

        var fileNames = new Dictionary<string, string>(StringComparer.Ordinal);
        var inputs = Apply("input", fileInputs, config.Inputs, maxBatch > 0, fileNames, errors);
        var outputs = Apply("output", fileOutputs, config.Outputs, maxBatch > 0, fileNames, errors);
        foreach (var dup in inputs.Select(i => i.Name).GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add($"two inputs are both named '{dup.Key}' after aliases");
        }

        foreach (var dup in outputs.Select(i => i.Name).GroupBy(n => n, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            errors.Add($"two outputs are both named '{dup.Key}' after aliases");
        }

        if (errors.Count > 0)
        {
            throw new ModelLoadException($"model '{modelName}': " + string.Join("; ", errors));
        }

        return new ModelSignature(inputs, outputs, maxBatch, fileNames);
    }

    private static List<TensorSpec> Apply(string kind, IReadOnlyList<TensorSpec> fromFile, IReadOnlyList<TensorOverride> overrides, bool batched, Dictionary<string, string> fileNames, List<string> errors)
    {
        var byName = overrides.ToDictionary(o => o.Name, StringComparer.Ordinal);
        foreach (var o in overrides.Where(o => !fromFile.Any(f => f.Name == o.Name)))
        {
            errors.Add($"config.yaml declares {kind} '{o.Name}' but the model has no such {kind} (its {kind}s: {string.Join(", ", fromFile.Select(f => f.Name))})");
        }

        var result = new List<TensorSpec>(fromFile.Count);
        foreach (var spec in fromFile)
        {
            if (!byName.TryGetValue(spec.Name, out var o))
            {
                result.Add(spec);
                continue;
            }

            if (o.DataType is DataType declared && declared != spec.DataType)
            {
                errors.Add($"{kind} '{spec.Name}': config.yaml declares {declared.ToProtocolName()} but the model has {spec.DataType.ToProtocolName()}");
            }

            var shape = spec.Shape;
            if (o.Dims is long[] dims)
            {
                var declaredShape = batched ? [-1, .. dims] : dims;
                if (!Compatible(spec.Shape, declaredShape))
                {
                    errors.Add($"{kind} '{spec.Name}': config.yaml declares dims {TensorShape.Format(dims)} ({(batched ? "after the batch dimension" : "unbatched")}) but the model has {TensorShape.Format(spec.Shape)}");
                }
                else
                {
                    shape = declaredShape;
                }
            }

            var name = spec.Name;
            if (!string.IsNullOrEmpty(o.Alias))
            {
                name = o.Alias;
                fileNames[o.Alias] = spec.Name;
            }

            result.Add(new TensorSpec(name, spec.DataType, shape));
        }

        return result;
    }

    // A declared shape may fix a dimension the model leaves variable, never the other way round.
    private static bool Compatible(long[] model, long[] declared)
    {
        if (model.Length != declared.Length)
        {
            return false;
        }

        for (var i = 0; i < model.Length; i++)
        {
            if (model[i] >= 0 && declared[i] != model[i])
            {
                return false;
            }
        }

        return true;
    }
}
