//! Loop bounding: no app shader can keep the GPU forever.
//!
//! naga accepts loops it cannot prove finite (it cannot, in general), and a fragment shader
//! that never leaves its loop hangs the GPU queue — every app's layer and the shell's frame
//! behind it. So before an app's shader reaches the GPU, its validated module is rewritten:
//! one private counter per shader invocation (`var<private>`, so every vertex and fragment
//! has its own), and at the top of every loop body, in every function,
//!
//! ```wgsl
//! visor_loop_budget = visor_loop_budget + 1u;
//! if visor_loop_budget >= LOOP_BUDGET { break; }
//! ```
//!
//! The counter is shared by all loops of the invocation (helpers included: WGSL has no
//! recursion), so nested loops cannot multiply the bound: all loop iterations of one
//! invocation together stay under [`LOOP_BUDGET`], plus one per loop entered after the budget
//! is spent. A shader that stays within it runs exactly as written. The rewritten module is
//! validated again and written back to WGSL, which is what the compositor compiles.

use naga::{
    AddressSpace, BinaryOperator, Block, Expression, Function, GlobalVariable, Handle, Literal, Module, Scalar, Span, Statement, Type,
    TypeInner,
};

/// Loop iterations one shader invocation may run, over all its loops. Generous for real
/// work (a 256-step ray march with a 16-tap inner loop fits), small enough that a shader
/// spinning in every pixel of a layer finishes in bounded time.
pub const LOOP_BUDGET: u32 = 4096;

/// Adds the iteration budget to every loop of `module`. Returns how many loops it bounded.
pub fn bound_loops(module: &mut Module) -> usize {
    let u32_type = module.types.insert(Type { name: None, inner: TypeInner::Scalar(Scalar::U32) }, Span::UNDEFINED);
    let counter = module.global_variables.append(
        GlobalVariable {
            name: Some("visor_loop_budget".into()),
            space: AddressSpace::Private,
            binding: None,
            ty: u32_type,
            init: None,
            memory_decorations: Default::default(),
        },
        Span::UNDEFINED,
    );
    let mut bounded = 0;
    for (_, function) in module.functions.iter_mut() {
        bounded += bound_function(function, counter);
    }
    for entry in module.entry_points.iter_mut() {
        bounded += bound_function(&mut entry.function, counter);
    }
    bounded
}

fn bound_function(function: &mut Function, counter: Handle<GlobalVariable>) -> usize {
    let mut body = std::mem::take(&mut function.body);
    let bounded = bound_block(&mut body, function, counter);
    function.body = body;
    bounded
}

/// Bounds every loop in `block`, however deeply nested.
fn bound_block(block: &mut Block, function: &mut Function, counter: Handle<GlobalVariable>) -> usize {
    let mut bounded = 0;
    for (statement, _) in block.span_iter_mut() {
        match statement {
            Statement::Block(inner) => bounded += bound_block(inner, function, counter),
            Statement::If { accept, reject, .. } => {
                bounded += bound_block(accept, function, counter);
                bounded += bound_block(reject, function, counter);
            }
            Statement::Switch { cases, .. } => {
                for case in cases.iter_mut() {
                    bounded += bound_block(&mut case.body, function, counter);
                }
            }
            Statement::Loop { body, continuing, .. } => {
                bounded += bound_block(body, function, counter);
                bounded += bound_block(continuing, function, counter);
                let mut guarded = guard(function, counter);
                guarded.append(body);
                *body = guarded;
                bounded += 1;
            }
            _ => {}
        }
    }
    bounded
}

/// The statements that count one iteration and leave the loop once the budget is spent.
fn guard(function: &mut Function, counter: Handle<GlobalVariable>) -> Block {
    let expressions = &mut function.expressions;
    let mut add = |e: Expression| expressions.append(e, Span::UNDEFINED);
    // Handles, literals and constants are not emitted; the computed values are, in one range.
    let pointer = add(Expression::GlobalVariable(counter));
    let one = add(Expression::Literal(Literal::U32(1)));
    let budget = add(Expression::Literal(Literal::U32(LOOP_BUDGET)));
    let current = add(Expression::Load { pointer });
    let next = add(Expression::Binary { op: BinaryOperator::Add, left: current, right: one });
    let spent = add(Expression::Binary { op: BinaryOperator::GreaterEqual, left: next, right: budget });
    let mut block = Block::with_capacity(3);
    block.push(Statement::Emit(naga::Range::new_from_bounds(current, spent)), Span::UNDEFINED);
    block.push(Statement::Store { pointer, value: next }, Span::UNDEFINED);
    let leave = Block::from_vec(vec![Statement::Break]);
    block.push(Statement::If { condition: spent, accept: leave, reject: Block::new() }, Span::UNDEFINED);
    block
}
