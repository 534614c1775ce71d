// What every view receives: the panel to render into, the shared map, navigation.
import type { MapView } from "./map";

export interface Ctx {
  panel: HTMLElement;
  overlay: HTMLElement;
  map: MapView;
  navigate: (url: string) => void;
  /** Set by a view: called when the view is left (abort calls, unbind map handlers). */
  cleanup: (() => void)[];
}
