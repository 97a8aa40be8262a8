import { mountOverlay } from '../shared/mountOverlay.js'
import AlertBox from './AlertBox.vue'

mountOverlay(AlertBox)
