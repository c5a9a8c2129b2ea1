namespace Usher.Core.Inference;

/// <summary>An output the client asked for, with its parameters (e.g. <c>binary_data</c>).</summary>
/// <param name="Name">The output's name.</param>
/// <param name="Parameters">The output's parameters; empty when none.</param>
internal sealed record RequestedOutput(string Name, IReadOnlyDictionary<string, object> Parameters);
