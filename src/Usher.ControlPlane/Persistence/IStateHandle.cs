namespace Usher.ControlPlane.Persistence;

/// <summary>
/// The state store a server has opened and checked, with what it holds while it runs: the state
/// file and its lock (<see cref="StateFile"/>), or the shared database
/// (<see cref="Postgres.SharedStateDatabase"/>). Disposing it closes the store and lets go of the rest.
/// </summary>
internal interface IStateHandle : IAsyncDisposable
{
    /// <summary>The open store.</summary>
    IRolloutStore Store { get; }
}
