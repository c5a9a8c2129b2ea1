namespace Usher.Fuzz;

/// <summary>
/// A target's property broken: thrown so that the fuzzer records the input as a crash. The readers
/// themselves never throw for any input; any other exception escaping a target is a crash too.
/// </summary>
internal sealed class FuzzFailure(string message) : Exception(message)
{
}
