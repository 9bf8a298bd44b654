//! Why a component does not fit the `app` world, said once at load with what the component has
//! and what Visor expects. Linking an app checks its imports against what the host provides and
//! its exports against the world's `init` and `frame`; when that fails, wasmtime's message
//! names the first mismatch, and this adds the component's whole shape beside the world's, so
//! the author sees at once whether they built against another world or an older WIT.
//!
//! A misfit is permanent: restarting cannot change the component, so the runner reports it and
//! stops instead of retrying (`AppError::is_permanent`).

use wasmtime::Engine;
use wasmtime::component::Component;
use wasmtime::component::types::ComponentItem;

/// What Visor's `app` world asks of a component.
pub const APP_WORLD: &str = "an app exports `init: func() -> result<_, string>` and \
     `frame: func(info: frame-info) -> result<_, string>`, and imports only WASI 0.2 and \
     visor:app/{types,gfx,bus,log,clock}@0.2.0 (the `app` world of wit/visor.wit, which \
     `visor new` puts in every project)";

/// The linker's `error` with the component's imports and exports and the world's expectations.
pub fn explain(engine: &Engine, component: &Component, error: &wasmtime::Error) -> String {
    let ty = component.component_type();
    let imports: Vec<String> = ty.imports(engine).map(|(name, item)| describe(name, &item.ty)).collect();
    let exports: Vec<String> = ty.exports(engine).map(|(name, item)| describe(name, &item.ty)).collect();
    let list = |items: &[String]| if items.is_empty() { "nothing".to_owned() } else { items.join(", ") };
    format!("{error:#}\n  it imports: {}\n  it exports: {}\n  Visor expects: {APP_WORLD}", list(&imports), list(&exports))
}

/// `name` with its kind, and for a function its parameters and result count.
fn describe(name: &str, item: &ComponentItem) -> String {
    match item {
        ComponentItem::ComponentFunc(func) => {
            let params: Vec<&str> = func.params().map(|(param, _)| param).collect();
            let results = func.results().len();
            format!("{name}: func({}) -> {results} result(s)", params.join(", "))
        }
        ComponentItem::ComponentInstance(_) => format!("{name} (interface)"),
        ComponentItem::Resource(_) => format!("{name} (resource)"),
        ComponentItem::Type(_) => format!("{name} (type)"),
        ComponentItem::CoreFunc(_) | ComponentItem::Module(_) | ComponentItem::Component(_) => format!("{name} (core item)"),
    }
}
