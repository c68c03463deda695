//! Drops what a module never uses: the runtime helpers (`rt`) and syscall imports that no
//! code reachable from `invoke` calls, and the globals that code never reads or writes.
//! Every mutable global costs each call: a warm instance's reset restores them one by one
//! (`tandem-wasm`'s `warm.rs`). Every module is generated with all of them at fixed
//! indices (`Rt::index`, `layout::sys`); this pass re-encodes the finished module with the
//! functions renumbered. A smaller module is cheaper to install (priced per function and per
//! operator, `tandem-wasm`'s `config::prices`) and to compile, and changes nothing a call
//! can observe: the generated code has no tables, element segments or `ref.func`, so calls
//! by index are the only way one function reaches another.

use wasm_encoder::reencode::{Error, Reencode, utils};
use wasmparser::{Operator, Parser, Payload};

/// The module without its unreachable functions, unused function imports and unused globals.
pub fn prune(wasm: &[u8]) -> Result<Vec<u8>, String> {
    let live = reachable(wasm).map_err(|e| format!("pruning the module: {e}"))?;
    let mut r = Renumber {
        map: live.funcs,
        globals: live.globals,
        n_imports: live.n_imports,
        n_global_imports: live.n_global_imports,
        defined: 0,
        imported: 0,
    };
    let mut module = wasm_encoder::Module::new();
    r.parse_core_module(&mut module, Parser::new(0), wasm)
        .map_err(|e| format!("pruning the module: {e:?}"))?;
    Ok(module.finish())
}

/// What survives: for every function and global index its new index (`None`: dropped).
struct Live {
    funcs: Vec<Option<u32>>,
    globals: Vec<Option<u32>>,
    /// Function imports before pruning.
    n_imports: u32,
    n_global_imports: u32,
}

fn renumber(live: &[bool]) -> Vec<Option<u32>> {
    let mut next = 0u32;
    live.iter()
        .map(|l| {
            l.then(|| {
                next += 1;
                next - 1
            })
        })
        .collect()
}

fn reachable(wasm: &[u8]) -> Result<Live, wasmparser::BinaryReaderError> {
    let mut n_imports = 0u32;
    let mut n_global_imports = 0u32;
    let mut n_funcs = 0u32;
    let mut n_globals = 0u32;
    let mut roots = Vec::new();
    let mut global_roots = Vec::new();
    let mut callees: Vec<Vec<u32>> = Vec::new();
    let mut globals_used: Vec<Vec<u32>> = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::ImportSection(s) => {
                for imp in s.into_imports() {
                    match imp?.ty {
                        wasmparser::TypeRef::Func(_) => n_imports += 1,
                        wasmparser::TypeRef::Global(_) => n_global_imports += 1,
                        _ => {}
                    }
                }
            }
            Payload::FunctionSection(s) => n_funcs = s.count(),
            Payload::GlobalSection(s) => n_globals = s.count(),
            Payload::ExportSection(s) => {
                for e in s {
                    let e = e?;
                    match e.kind {
                        wasmparser::ExternalKind::Func => roots.push(e.index),
                        wasmparser::ExternalKind::Global => global_roots.push(e.index),
                        _ => {}
                    }
                }
            }
            Payload::StartSection { func, .. } => roots.push(func),
            Payload::CodeSectionEntry(body) => {
                let mut calls = Vec::new();
                let mut globals = Vec::new();
                let mut ops = body.get_operators_reader()?;
                while !ops.eof() {
                    match ops.read()? {
                        Operator::Call { function_index }
                        | Operator::ReturnCall { function_index }
                        | Operator::RefFunc { function_index } => calls.push(function_index),
                        Operator::GlobalGet { global_index }
                        | Operator::GlobalSet { global_index } => globals.push(global_index),
                        _ => {}
                    }
                }
                callees.push(calls);
                globals_used.push(globals);
            }
            _ => {}
        }
    }
    let total = (n_imports + n_funcs) as usize;
    let mut live = vec![false; total];
    let mut work = roots;
    while let Some(f) = work.pop() {
        let Some(slot) = live.get_mut(f as usize) else {
            continue;
        };
        if std::mem::replace(slot, true) {
            continue;
        }
        if let Some(cs) = f
            .checked_sub(n_imports)
            .and_then(|d| callees.get(d as usize))
        {
            work.extend(cs.iter().copied());
        }
    }
    // imported globals stay
    let mut live_globals = vec![false; (n_global_imports + n_globals) as usize];
    live_globals[..n_global_imports as usize].fill(true);
    let used = live
        .iter()
        .enumerate()
        .skip(n_imports as usize)
        .filter(|(_, l)| **l)
        .flat_map(|(f, _)| &globals_used[f - n_imports as usize]);
    for g in used.chain(&global_roots) {
        if let Some(l) = live_globals.get_mut(*g as usize) {
            *l = true;
        }
    }
    Ok(Live {
        funcs: renumber(&live),
        globals: renumber(&live_globals),
        n_imports,
        n_global_imports,
    })
}

/// Re-encodes with the functions renumbered, skipping the dropped ones.
struct Renumber {
    map: Vec<Option<u32>>,
    globals: Vec<Option<u32>>,
    n_imports: u32,
    n_global_imports: u32,
    /// Defined functions seen so far (function and code sections, in order).
    defined: u32,
    /// Function imports seen so far.
    imported: u32,
}

impl Renumber {
    fn live(&self, index: u32) -> bool {
        self.map.get(index as usize).copied().flatten().is_some()
    }
}

impl Reencode for Renumber {
    type Error = String;

    fn function_index(&mut self, func: u32) -> Result<u32, Error<String>> {
        self.map
            .get(func as usize)
            .copied()
            .flatten()
            .ok_or_else(|| Error::UserError(format!("function {func} was dropped")))
    }

    fn global_index(&mut self, global: u32) -> Result<u32, Error<String>> {
        self.globals
            .get(global as usize)
            .copied()
            .flatten()
            .ok_or_else(|| Error::UserError(format!("global {global} was dropped")))
    }

    fn parse_global_section(
        &mut self,
        globals: &mut wasm_encoder::GlobalSection,
        section: wasmparser::GlobalSectionReader<'_>,
    ) -> Result<(), Error<String>> {
        for (i, g) in section.into_iter().enumerate() {
            let g = g?;
            let index = self.n_global_imports as usize + i;
            if self.globals.get(index).copied().flatten().is_some() {
                self.parse_global(globals, g)?;
            }
        }
        Ok(())
    }

    fn parse_import_section(
        &mut self,
        imports: &mut wasm_encoder::ImportSection,
        section: wasmparser::ImportSectionReader<'_>,
    ) -> Result<(), Error<String>> {
        for imp in section.into_imports() {
            let imp = imp?;
            if let wasmparser::TypeRef::Func(_) = imp.ty {
                let index = self.imported;
                self.imported += 1;
                if !self.live(index) {
                    continue;
                }
            }
            let ty = self.entity_type(imp.ty)?;
            imports.import(imp.module, imp.name, ty);
        }
        Ok(())
    }

    fn parse_function_section(
        &mut self,
        functions: &mut wasm_encoder::FunctionSection,
        section: wasmparser::FunctionSectionReader<'_>,
    ) -> Result<(), Error<String>> {
        for (i, ty) in section.into_iter().enumerate() {
            let ty = ty?;
            if self.live(self.n_imports + i as u32) {
                functions.function(self.type_index(ty)?);
            }
        }
        Ok(())
    }

    fn parse_function_body(
        &mut self,
        code: &mut wasm_encoder::CodeSection,
        func: wasmparser::FunctionBody<'_>,
    ) -> Result<(), Error<String>> {
        let index = self.n_imports + self.defined;
        self.defined += 1;
        if !self.live(index) {
            return Ok(());
        }
        utils::parse_function_body(self, code, func)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_helpers_and_imports_are_dropped_and_calls_renumbered() {
        // imports a (0), b (1); f2 exported calls f4 which calls import b and reads g1; f3
        // is dead and reads g0; g2 is never used.
        let wat = wasm_encoder_module();
        let pruned = prune(&wat).unwrap();
        let mut imports = Vec::new();
        let mut bodies = 0;
        let mut calls = Vec::new();
        let mut globals = (0, Vec::new());
        for p in Parser::new(0).parse_all(&pruned) {
            match p.unwrap() {
                Payload::ImportSection(s) => {
                    for i in s.into_imports() {
                        imports.push(i.unwrap().name.to_string());
                    }
                }
                Payload::GlobalSection(s) => globals.0 = s.count(),
                Payload::CodeSectionEntry(b) => {
                    bodies += 1;
                    let mut ops = b.get_operators_reader().unwrap();
                    while !ops.eof() {
                        match ops.read().unwrap() {
                            Operator::Call { function_index } => calls.push(function_index),
                            Operator::GlobalGet { global_index } => globals.1.push(global_index),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        assert_eq!(imports, ["b"]);
        assert_eq!(bodies, 2);
        // f2 (now 1) calls f4 (now 2), which calls b (now 0)
        assert_eq!(calls, [2, 0]);
        // g1, read by f4, is now g0; g0 (read by the dead f3) and g2 are gone
        assert_eq!(globals, (1, vec![0]));
        wasmparser::Validator::new().validate_all(&pruned).unwrap();
        // an already pruned module is a fixpoint
        assert_eq!(prune(&pruned).unwrap(), pruned);
    }

    fn wasm_encoder_module() -> Vec<u8> {
        use wasm_encoder::*;
        let mut types = TypeSection::new();
        types.ty().function([], []);
        let mut imports = ImportSection::new();
        imports.import("m", "a", EntityType::Function(0));
        imports.import("m", "b", EntityType::Function(0));
        let mut funcs = FunctionSection::new();
        let mut code = CodeSection::new();
        for (callee, global) in [(4u32, None), (0, Some(0u32)), (1, Some(1))] {
            funcs.function(0);
            let mut f = Function::new([]);
            f.instructions().call(callee);
            if let Some(g) = global {
                f.instructions().global_get(g).drop();
            }
            f.instructions().end();
            code.function(&f);
        }
        let mut globals = GlobalSection::new();
        for _ in 0..3 {
            let ty = GlobalType {
                val_type: ValType::I32,
                mutable: true,
                shared: false,
            };
            globals.global(ty, &ConstExpr::i32_const(0));
        }
        let mut exports = ExportSection::new();
        exports.export("invoke", ExportKind::Func, 2);
        let mut m = Module::new();
        m.section(&types)
            .section(&imports)
            .section(&funcs)
            .section(&globals)
            .section(&exports)
            .section(&code);
        m.finish()
    }
}
