namespace Usher.Core.Models;

/// <summary>
/// What clients see of one loaded version: its inputs and outputs (client names, full shapes with
/// the batch dimension first when batched) and its batching limit. Built once at load from the
/// model file's metadata and the config's overrides.
/// </summary>
internal sealed class ModelSignature
{
    private readonly Dictionary<string, int> _inputIndex;

    /// <summary>Creates a signature.</summary>
    /// <param name="inputs">The inputs as clients name them.</param>
    /// <param name="outputs">The outputs as clients name them.</param>
    /// <param name="maxBatchSize">The batching limit; 0 = not batched.</param>
    /// <param name="fileNames">Client name → name in the model file, for every input and output that differs.</param>
    public ModelSignature(IReadOnlyList<TensorSpec> inputs, IReadOnlyList<TensorSpec> outputs, int maxBatchSize, IReadOnlyDictionary<string, string> fileNames)
    {
        Inputs = inputs;
        Outputs = outputs;
        MaxBatchSize = maxBatchSize;
        FileNames = fileNames;
        InputsByName = inputs.ToDictionary(i => i.Name, StringComparer.Ordinal);
        OutputsByName = outputs.ToDictionary(o => o.Name, StringComparer.Ordinal);
        ClientNames = fileNames.ToDictionary(p => p.Value, p => p.Key, StringComparer.Ordinal);
        InputFileNames = [.. inputs.Select(i => ToFileName(i.Name))];
        OutputClientNames = [.. outputs.Select(o => o.Name)];
        OutputFileNames = [.. outputs.Select(o => ToFileName(o.Name))];
        _inputIndex = inputs.Select((input, index) => (input.Name, index)).ToDictionary(p => p.Name, p => p.index, StringComparer.Ordinal);
    }

    /// <summary>The inputs, in the model's order.</summary>
    public IReadOnlyList<TensorSpec> Inputs { get; }

    /// <summary>The outputs, in the model's order.</summary>
    public IReadOnlyList<TensorSpec> Outputs { get; }

    /// <summary>The largest batch a request may carry; 0 = the model is not batched.</summary>
    public int MaxBatchSize { get; }

    /// <summary>True when the first dimension of every input and output is the batch dimension.</summary>
    public bool IsBatched => MaxBatchSize > 0;

    /// <summary>Inputs by client name.</summary>
    public IReadOnlyDictionary<string, TensorSpec> InputsByName { get; }

    /// <summary>Outputs by client name.</summary>
    public IReadOnlyDictionary<string, TensorSpec> OutputsByName { get; }

    /// <summary>Client name → file name, where they differ.</summary>
    public IReadOnlyDictionary<string, string> FileNames { get; }

    /// <summary>File name → client name, where they differ.</summary>
    public IReadOnlyDictionary<string, string> ClientNames { get; }

    /// <summary>The file names of <see cref="Inputs"/>, in their order (built once: the validator reads them per request).</summary>
    public IReadOnlyList<string> InputFileNames { get; }

    /// <summary>Every output's client name, in the model's order: what a request that names no outputs gets.</summary>
    public IReadOnlyList<string> OutputClientNames { get; }

    /// <summary>Every output's file name, in the model's order.</summary>
    public IReadOnlyList<string> OutputFileNames { get; }

    /// <summary>The position in <see cref="Inputs"/> of the input clients call <paramref name="clientName"/>, or -1.</summary>
    public int IndexOfInput(string clientName) => _inputIndex.TryGetValue(clientName, out var index) ? index : -1;

    /// <summary>The name in the model file of a tensor clients call <paramref name="clientName"/>.</summary>
    public string ToFileName(string clientName) => FileNames.TryGetValue(clientName, out var n) ? n : clientName;

    /// <summary>The name clients use for a tensor the model file calls <paramref name="fileName"/>.</summary>
    public string ToClientName(string fileName) => ClientNames.TryGetValue(fileName, out var n) ? n : fileName;
}
